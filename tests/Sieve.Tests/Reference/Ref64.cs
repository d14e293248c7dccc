namespace Sieve.Tests.Reference;

/// <summary>
/// Independent float64 building blocks for parity tests: plain loops, no code shared with the
/// library. Matrices are row-major double[]; Linear weights use PyTorch's [out, in] layout.
/// </summary>
public static class Ref64
{
    public static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);

    /// <summary>cos(a, b), accumulated in double.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"a vector of {a.Length} values compared with one of {b.Length}");
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(aa * bb);
    }

    /// <summary>y[r, o] = Σ_i x[r, i]·w[o, i] + b[o].</summary>
    public static double[] Linear(double[] x, int rows, double[] w, double[]? b, int inF, int outF)
    {
        var y = new double[rows * outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = b?[o] ?? 0;
                for (int i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
                y[r * outF + o] = s;
            }
        return y;
    }

    /// <summary>
    /// Stride-p, p×p convolution of a [3, S, S] image written as the conv sum; returns [1 + patches, D]
    /// with row 0 left zero for the class token.
    /// </summary>
    public static double[] PatchEmbedWithClassRow(double[] pixels, int image, int patch, double[] w, double[]? b, int d) =>
        PatchEmbedWithClassRow(pixels, image, image, patch, w, b, d);

    /// <summary>The same over a [3, H, W] image: ⌊H/p⌋ × ⌊W/p⌋ patches in row-major order (the conv ignores the remainder).</summary>
    public static double[] PatchEmbedWithClassRow(double[] pixels, int height, int width, int patch, double[] w, double[]? b, int d)
    {
        int rows = height / patch, cols = width / patch;
        var x = new double[(rows * cols + 1) * d];
        for (int py = 0; py < rows; py++)
            for (int px = 0; px < cols; px++)
                for (int o = 0; o < d; o++)
                {
                    double s = b?[o] ?? 0;
                    for (int ch = 0; ch < 3; ch++)
                        for (int ky = 0; ky < patch; ky++)
                            for (int kx = 0; kx < patch; kx++)
                                s += w[((o * 3 + ch) * patch + ky) * patch + kx] * pixels[(ch * height + py * patch + ky) * width + px * patch + kx];
                    x[(1 + py * cols + px) * d + o] = s;
                }
        return x;
    }

    public static double[] LayerNorm(double[] x, int rows, double[] g, double[] b, double eps)
    {
        int d = g.Length;
        var y = new double[rows * d];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < d; i++) mean += x[r * d + i];
            mean /= d;
            for (int i = 0; i < d; i++) var += (x[r * d + i] - mean) * (x[r * d + i] - mean);
            var /= d;
            double inv = 1 / Math.Sqrt(var + eps);
            for (int i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) * inv * g[i] + b[i];
        }
        return y;
    }

    public static void SoftmaxInPlace(double[] x, int offset, int length)
    {
        double max = double.NegativeInfinity, sum = 0;
        for (int i = 0; i < length; i++) max = Math.Max(max, x[offset + i]);
        for (int i = 0; i < length; i++) sum += x[offset + i] = Math.Exp(x[offset + i] - max);
        for (int i = 0; i < length; i++) x[offset + i] /= sum;
    }

    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    public static double QuickGelu(double x) => x / (1 + Math.Exp(-1.702 * x));

    /// <summary>erf to ~1e-15: Maclaurin series for |z| &lt; 2, continued fraction for erfc beyond.</summary>
    public static double Erf(double z)
    {
        double a = Math.Abs(z);
        double result;
        if (a < 2)
        {
            double term = a, sum = a;
            for (int n = 1; n < 100; n++)
            {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(a) = exp(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …))))), evaluated bottom-up.
            double f = a;
            for (int n = 120; n >= 1; n--) f = a + n / 2.0 / f;
            result = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
        }
        return z < 0 ? -result : result;
    }

    /// <summary>
    /// Multi-head attention with fused qkv weights ([q; k; v] rows). <paramref name="keyMask"/>: null, or false
    /// for keys that get −∞ logits (padding), as Hugging Face's extended attention mask does.
    /// </summary>
    public static double[] Attention(double[] x, int t, int d, int heads, double[] qkvW, double[] qkvB, double[] projW, double[] projB, bool causal,
        bool[]? keyMask = null)
    {
        int dh = d / heads;
        var qkv = Linear(x, t, qkvW, qkvB, d, 3 * d);
        var ctx = new double[t * d];
        var s = new double[t];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < t; i++)
            {
                int visible = causal ? i + 1 : t;
                for (int j = 0; j < visible; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < dh; c++) dot += qkv[i * 3 * d + h * dh + c] * qkv[j * 3 * d + d + h * dh + c];
                    s[j] = keyMask is { } m && !m[j] ? double.NegativeInfinity : dot / Math.Sqrt(dh);
                }
                SoftmaxInPlace(s, 0, visible);
                for (int c = 0; c < dh; c++)
                {
                    double acc = 0;
                    for (int j = 0; j < visible; j++) acc += s[j] * qkv[j * 3 * d + 2 * d + h * dh + c];
                    ctx[i * d + h * dh + c] = acc;
                }
            }
        return Linear(ctx, t, projW, projB, d, d);
    }
}
