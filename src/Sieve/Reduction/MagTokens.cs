namespace Sieve.Reduction;

/// <summary>
/// MADTP's multi-modality alignment guidance tokens S [M, D_s] (ALGORITHMS.md §3a), shared by the
/// towers; a tower whose width differs from D_s maps its tokens with per-layer maps [layers, D_s, D].
/// </summary>
internal sealed class MagTokens
{
    /// <summary>MADTP's default number of alignment tokens.</summary>
    public const int DefaultCount = 100;

    readonly float[] _tokens;

    /// <param name="tokens">S, [count, width] row-major.</param>
    /// <param name="count">M.</param>
    /// <param name="width">D_s.</param>
    public MagTokens(float[] tokens, int count, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (tokens.Length != count * width) throw new ArgumentException($"alignment tokens have {tokens.Length} values, expected {count}×{width}", nameof(tokens));
        _tokens = tokens;
        Count = count;
        Width = width;
    }

    /// <summary>M.</summary>
    public int Count { get; }

    /// <summary>D_s.</summary>
    public int Width { get; }

    /// <summary>S, [M, D_s].</summary>
    public ReadOnlySpan<float> Tokens => _tokens;

    /// <summary>
    /// Untrained tokens for a width: seeded N(0, 1/D) entries (the same seed gives the same tokens on
    /// every machine), so Q = X·Sᵀ has the scale of a cosine times ‖x‖.
    /// </summary>
    public static MagTokens Random(int width, int count = DefaultCount, int seed = 0)
    {
        var rng = new Random(seed);
        var s = new float[count * width];
        float std = 1 / MathF.Sqrt(width);
        for (int i = 0; i < s.Length; i++)
        {
            // Box–Muller on System.Random's documented, seed-stable sequence.
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            s[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)) * std;
        }
        return new MagTokens(s, count, width);
    }
}
