namespace Sieve.Nn;

/// <summary>
/// Llama's rotary position embedding (<c>rope_type</c> "default"): the head's dimension pairs (i, i + d/2) are rotated by
/// position · θ^(−2i/d), as <c>apply_rotary_pos_emb</c> with <c>rotate_half</c> does. Angles are computed in float64, so
/// long positions lose no precision to the product (transformers forms it in float32).
/// </summary>
internal sealed class RotaryEmbedding
{
    readonly double[] _inverseFrequencies;

    /// <param name="headDim">Head width (even).</param>
    /// <param name="theta">The base (<c>rope_theta</c>).</param>
    public RotaryEmbedding(int headDim, double theta)
    {
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"rotary embeddings need an even head width, got {headDim}", nameof(headDim));
        HeadDim = headDim;
        _inverseFrequencies = new double[headDim / 2];
        for (int i = 0; i < _inverseFrequencies.Length; i++) _inverseFrequencies[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
    }

    /// <summary>Head width.</summary>
    public int HeadDim { get; }

    /// <summary>
    /// Rotates, in place, <paramref name="heads"/> consecutive heads starting at <paramref name="offset"/> of each of
    /// <paramref name="tokens"/> rows (stride <paramref name="stride"/>); row i is at position <c>positions[i]</c>.
    /// </summary>
    public void Apply(Span<float> rows, int offset, int stride, int tokens, int heads, ReadOnlySpan<int> positions)
    {
        int half = HeadDim / 2;
        Span<float> cos = stackalloc float[half], sin = stackalloc float[half];
        for (int t = 0; t < tokens; t++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = positions[t] * _inverseFrequencies[i];
                cos[i] = (float)Math.Cos(angle);
                sin[i] = (float)Math.Sin(angle);
            }
            for (int h = 0; h < heads; h++)
            {
                var x = rows.Slice(t * stride + offset + h * HeadDim, HeadDim);
                for (int i = 0; i < half; i++)
                {
                    float a = x[i], b = x[i + half];
                    x[i] = a * cos[i] - b * sin[i];
                    x[i + half] = b * cos[i] + a * sin[i];
                }
            }
        }
    }
}
