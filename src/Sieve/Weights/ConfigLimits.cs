namespace Sieve.Weights;

/// <summary>
/// Bounds on the sizes a model or preprocessor config may declare, checked as the config is read so that a
/// mistyped or hostile value is refused naming its field instead of overflowing later. Every released ViT,
/// CLIP and ViLT lies far inside them (the largest ViT, 22B, is 6144 wide with an MLP of 24576).
/// </summary>
internal static class ConfigLimits
{
    /// <summary>Most pixels along an image side: input, crop and resize sizes.</summary>
    public const int MaxImageSide = 4096;

    /// <summary>Most patches per image: (image side / patch side)².</summary>
    public const int MaxPatches = 16384;

    /// <summary>Widest model (<c>hidden_size</c>, <c>embed_dim</c>, <c>projection_dim</c>).</summary>
    public const int MaxWidth = 8192;

    /// <summary>Widest MLP (<c>intermediate_size</c>, or width × <c>mlp_ratio</c>).</summary>
    public const int MaxMlpHidden = 32768;

    /// <summary>Most transformer layers.</summary>
    public const int MaxLayers = 256;

    /// <summary>Most text positions (<c>max_position_embeddings</c>).</summary>
    public const int MaxTextPositions = 8192;

    /// <summary>Most rows of a token or class table (<c>vocab_size</c>, <c>num_classes</c>): with <see cref="MaxWidth"/>, 2^30 weights.</summary>
    public const int MaxTableRows = 131072;
}
