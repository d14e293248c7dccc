using System.Numerics.Tensors;
using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Reduction;

/// <summary>
/// The similarity metric the matchers use: attention keys, L2-normalised, and their cosine table.
/// Results go into caller buffers: these run in every block, and fresh large arrays cost page faults.
/// </summary>
internal static class KeyMetric
{
    /// <summary>Norms below this count as this (no division by zero for all-zero keys).</summary>
    public const float Epsilon = 1e-6f;

    [ThreadStatic] static PackedMatrix? _packed;

    /// <summary>Width of the metric: D (all heads concatenated) or D/H (mean over heads).</summary>
    public static int Width(AttentionCapture attention, bool headMean) => headMean ? attention.Width / attention.Heads : attention.Width;

    /// <summary>
    /// Writes normalised keys [N, <see cref="Width"/>] into <paramref name="metric"/>:
    /// <paramref name="headMean"/> false: all heads concatenated (CrossGET); true: the mean over heads of
    /// the per-head keys (ToMe).
    /// </summary>
    public static void NormalizedKeys(AttentionCapture attention, bool headMean, Span<float> metric)
    {
        int n = attention.Tokens, heads = attention.Heads, dh = attention.Width / heads, width = Width(attention, headMean);
        if (metric.Length < n * width) throw new ArgumentException($"metric buffer holds {metric.Length} floats, needs {n * width}", nameof(metric));
        for (int i = 0; i < n; i++)
        {
            var key = attention.Key(i);
            var row = metric.Slice(i * width, width);
            if (headMean)
            {
                key[..dh].CopyTo(row);
                for (int h = 1; h < heads; h++) TensorPrimitives.Add(row, key.Slice(h * dh, dh), row);
                TensorPrimitives.Multiply(row, 1f / heads, row);
            }
            else key.CopyTo(row);
            Normalize(row);
        }
    }

    /// <summary>Divides <paramref name="v"/> by its L2 norm (at least <see cref="Epsilon"/>).</summary>
    public static void Normalize(Span<float> v) => TensorPrimitives.Multiply(v, 1f / MathF.Max(TensorPrimitives.Norm(v), Epsilon), v);

    /// <summary>
    /// C[i, j] = a_i · b_j for rows of width <paramref name="width"/>: <paramref name="a"/> [M, width],
    /// <paramref name="b"/> [N, width] → <paramref name="c"/> [M, N], through the packed GEMM.
    /// </summary>
    public static void Dots(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width, Span<float> c)
    {
        int m = a.Length / width, n = b.Length / width;
        if (c.Length < m * n) throw new ArgumentException($"output holds {c.Length} floats, needs {m}×{n}", nameof(c));
        if (m == 0 || n == 0) return;
        var packed = _packed ??= new PackedMatrix();
        packed.PackOutputRows(b, n, width, width);
        Gemm.Multiply(a, width, m, packed, c, n);
    }
}
