using System.Numerics.Tensors;
using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Reduction;

/// <summary>The similarity metric the matchers use: attention keys, L2-normalised, and their cosine table.</summary>
public static class KeyMetric
{
    /// <summary>Norms below this count as this (no division by zero for all-zero keys).</summary>
    public const float Epsilon = 1e-6f;

    /// <summary>
    /// Normalised keys [N, D] (<paramref name="headMean"/> false: all heads concatenated) or [N, D/H]
    /// (true: mean over heads of the per-head keys, as ToMe uses).
    /// </summary>
    public static float[] NormalizedKeys(AttentionCapture attention, bool headMean)
    {
        int n = attention.Tokens, d = attention.Width, heads = attention.Heads, dh = d / heads;
        int width = headMean ? dh : d;
        var metric = new float[n * width];
        for (int i = 0; i < n; i++)
        {
            var key = attention.Key(i);
            var row = metric.AsSpan(i * width, width);
            if (headMean)
            {
                for (int h = 0; h < heads; h++) TensorPrimitives.Add(row, key.Slice(h * dh, dh), row);
                TensorPrimitives.Multiply(row, 1f / heads, row);
            }
            else key.CopyTo(row);
            Normalize(row);
        }
        return metric;
    }

    /// <summary>Divides <paramref name="v"/> by its L2 norm (at least <see cref="Epsilon"/>).</summary>
    public static void Normalize(Span<float> v) => TensorPrimitives.Multiply(v, 1f / MathF.Max(TensorPrimitives.Norm(v), Epsilon), v);

    /// <summary>
    /// C[i, j] = a_i · b_j for rows of width <paramref name="width"/>: <paramref name="a"/> [M, width],
    /// <paramref name="b"/> [N, width] → [M, N], through the packed GEMM.
    /// </summary>
    public static float[] Dots(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width)
    {
        int m = a.Length / width, n = b.Length / width;
        var c = new float[m * n];
        if (m == 0 || n == 0) return c;
        Gemm.Multiply(a, width, m, PackedMatrix.FromOutputRows(b, n, width), c, n);
        return c;
    }
}
