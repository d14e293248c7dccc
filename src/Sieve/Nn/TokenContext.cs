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

    /// <summary>Features [Count, Width], row-major.</summary>
    public float[] Features { get; }

    /// <summary>Number of tokens.</summary>
    public int Count { get; }

    /// <summary>Feature width.</summary>
    public int Width { get; }

    /// <summary>log(size) per token, or null while every token stands for one.</summary>
    public float[]? LogSizes { get; }
}
