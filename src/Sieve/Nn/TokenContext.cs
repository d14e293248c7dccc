namespace Sieve.Nn;

/// <summary>
/// The tokens another sequence cross-attends to (BLIP's image tokens for its text encoder), as one tower left them:
/// features [Count, Width] and, once a reducer merged some, log(size) per token so that attention weighs a merged
/// token as the tokens it replaced. Immutable; owns copies.
/// </summary>
internal sealed class TokenContext
{
    TokenContext(float[] features, int count, int width, float[]? logSizes) => (Features, Count, Width, LogSizes) = (features, count, width, logSizes);

    /// <summary>A copy of <paramref name="tokens"/>' current features and sizes.</summary>
    public static TokenContext Of(TokenSet tokens)
    {
        float[]? logSizes = null;
        if (tokens.SizesDiffer)
        {
            logSizes = new float[tokens.Count];
            tokens.LogSizes(logSizes);
        }
        return new TokenContext(tokens.Features.ToArray(), tokens.Count, tokens.Width, logSizes);
    }

    /// <summary>Tokens from another source: <paramref name="features"/> [count, width] (kept, not copied) and their log(size), or null.</summary>
    public static TokenContext Of(float[] features, int count, int width, float[]? logSizes) => new(features, count, width, logSizes);

    /// <summary>A copy without token <paramref name="index"/> (LLaVA's features drop the class token).</summary>
    public TokenContext Without(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"there are {Count} tokens");
        var features = new float[(Count - 1) * Width];
        Features.AsSpan(0, index * Width).CopyTo(features);
        Features.AsSpan((index + 1) * Width).CopyTo(features.AsSpan(index * Width));
        float[]? logSizes = LogSizes is { } l ? [.. l[..index], .. l[(index + 1)..]] : null;
        return new TokenContext(features, Count - 1, Width, logSizes);
    }

    /// <summary>Features [Count, Width], row-major.</summary>
    public float[] Features { get; }

    /// <summary>Number of tokens.</summary>
    public int Count { get; }

    /// <summary>Feature width.</summary>
    public int Width { get; }

    /// <summary>log(size) per token, or null while every token stands for one.</summary>
    public float[]? LogSizes { get; }
}
