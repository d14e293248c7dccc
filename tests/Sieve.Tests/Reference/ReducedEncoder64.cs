namespace Sieve.Tests.Reference;

/// <summary>One pre-norm block's raw weights (fused qkv rows [q; k; v], PyTorch [out, in] layouts).</summary>
public sealed record Block64(double[] Norm1W, double[] Norm1B, double[] QkvW, double[] QkvB, double[] ProjW, double[] ProjB,
    double[] Norm2W, double[] Norm2B, double[] Fc1W, double[] Fc1B, double[] Fc2W, double[] Fc2B, int Hidden, double Eps, Func<double, double> Act);

/// <summary>
/// Float64 pre-norm encoder with ALGORITHMS.md's reducer hook: x ← x + Attn(LN1(x)) with + log(size_j) on
/// every key logit (proportional attention; zero while sizes are 1), the reducer, then x ← x + MLP(LN2(x)).
/// Records the source map after every block.
/// </summary>
public static class ReducedEncoder64
{
    public static List<int[]> Run(Tokens64 t, int layers, Func<int, Block64> block, int heads, bool causal, IReducer64? reducer, bool proportional, Margins margins)
    {
        var maps = new List<int[]>();
        reducer?.Begin(t);
        for (int l = 0; l < layers; l++)
        {
            reducer?.BeforeLayer(l, t);
            var w = block(l);
            int n = t.Count, d = t.Width, dh = d / heads;
            var x = t.X.SelectMany(r => r).ToArray();
            var h = Ref64.LayerNorm(x, n, w.Norm1W, w.Norm1B, w.Eps);
            var qkv = Ref64.Linear(h, n, w.QkvW, w.QkvB, d, 3 * d);
            double[] q = new double[n * d], k = new double[n * d], v = new double[n * d], p = new double[heads * n * n], o = new double[n * d];
            for (int i = 0; i < n; i++)
            {
                Array.Copy(qkv, i * 3 * d, q, i * d, d);
                Array.Copy(qkv, i * 3 * d + d, k, i * d, d);
                Array.Copy(qkv, i * 3 * d + 2 * d, v, i * d, d);
            }
            for (int hd = 0; hd < heads; hd++)
                for (int i = 0; i < n; i++)
                {
                    int visible = causal ? i + 1 : n, row = (hd * n + i) * n;
                    for (int j = 0; j < visible; j++)
                    {
                        double dot = 0;
                        for (int c = 0; c < dh; c++) dot += q[i * d + hd * dh + c] * k[j * d + hd * dh + c];
                        p[row + j] = dot / Math.Sqrt(dh) + (proportional ? Math.Log(t.Size[j]) : 0);
                    }
                    Ref64.SoftmaxInPlace(p, row, visible);
                    for (int c = 0; c < dh; c++)
                    {
                        double acc = 0;
                        for (int j = 0; j < visible; j++) acc += p[row + j] * v[j * d + hd * dh + c];
                        o[i * d + hd * dh + c] = acc;
                    }
                }
            var a = Ref64.Linear(o, n, w.ProjW, w.ProjB, d, d);
            for (int i = 0; i < n; i++)
                for (int c = 0; c < d; c++) t.X[i][c] += a[i * d + c];
            reducer?.Reduce(l, t, new Capture64(q, k, v, p, o, n, d, heads), margins);

            n = t.Count;
            x = t.X.SelectMany(r => r).ToArray();
            h = Ref64.LayerNorm(x, n, w.Norm2W, w.Norm2B, w.Eps);
            var f = Ref64.Linear(h, n, w.Fc1W, w.Fc1B, d, w.Hidden).Select(w.Act).ToArray();
            var m = Ref64.Linear(f, n, w.Fc2W, w.Fc2B, w.Hidden, d);
            for (int i = 0; i < n; i++)
                for (int c = 0; c < d; c++) t.X[i][c] += m[i * d + c];
            maps.Add((int[])t.Source.Clone());
        }
        return maps;
    }

    /// <summary>Normalised (÷ max(‖v‖, 1e-6)) rows of width <paramref name="width"/>.</summary>
    public static double[] Normalize(double[] v)
    {
        double norm = Math.Max(Math.Sqrt(v.Sum(e => e * e)), 1e-6);
        return v.Select(e => e / norm).ToArray();
    }

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
