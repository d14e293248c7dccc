using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>
/// The image tower CLIP and BLIP share (Hugging Face <c>vision_model</c> + its projection): patch embedding, class
/// embedding, positions, an optional pre-norm (CLIP's <c>pre_layrnorm</c>), the encoder, then <c>post_layernorm</c> —
/// on the class token alone (CLIP) or on every token, the image tokens a text encoder cross-attends to (BLIP) — and the
/// class token projected into the joint image–text space. Each family reads its own tensor names into it
/// (<c>ClipModel</c>, <c>BlipModel</c>).
/// </summary>
public sealed class VisionTower : IReadoutTower
{
    readonly PatchEmbedding _patchEmbed;
    readonly float[] _classEmbedding, _positions;
    readonly Nn.LayerNorm? _preNorm;
    readonly Nn.LayerNorm _postNorm;
    readonly Encoder _encoder;
    readonly Linear _projection;
    readonly bool _normEveryToken;
    TokenReducer? _reducer; // set only on the copies WithReducer makes

    /// <param name="info">The tower's shape (layers, width, heads).</param>
    /// <param name="imageSize">Input side in pixels.</param>
    /// <param name="patchEmbed">Patch embedding.</param>
    /// <param name="classEmbedding">Class embedding [width].</param>
    /// <param name="positions">Position embeddings [tokens, width].</param>
    /// <param name="preNorm">Null, or the LayerNorm before the encoder.</param>
    /// <param name="encoder">The blocks.</param>
    /// <param name="readout">Post-norm and projection.</param>
    /// <param name="normEveryToken">Post-norm every token (their states are used after the tower), not only the class token.</param>
    internal VisionTower(TowerInfo info, int imageSize, PatchEmbedding patchEmbed, float[] classEmbedding, float[] positions,
        Nn.LayerNorm? preNorm, Encoder encoder, TokenReadout readout, bool normEveryToken)
    {
        (Info, ImageSize, _patchEmbed, _classEmbedding, _positions, _preNorm, _encoder, Readout, _normEveryToken) =
            (info, imageSize, patchEmbed, classEmbedding, positions, preNorm, encoder, readout, normEveryToken);
        _postNorm = readout.Norm();
        _projection = readout.Projection();
    }

    /// <summary>The post-norm and projection, unpacked (for guidance fitting).</summary>
    internal TokenReadout Readout { get; }

    TokenReadout IReadoutTower.Readout => Readout;

    /// <summary>Tokens in the sequence: patches plus the class token.</summary>
    public int Tokens => (ImageSize / PatchSize) * (ImageSize / PatchSize) + 1;

    /// <inheritdoc />
    public TowerInfo Info { get; }

    /// <inheritdoc />
    public int PatchSize => _patchEmbed.PatchSize;

    /// <inheritdoc />
    public int ImageSize { get; }

    /// <inheritdoc />
    int ITower.TextTokens => 0;

    /// <summary>Length of the embedding (the projection's width).</summary>
    public int EmbeddingSize => _projection.Out;

    /// <summary>This tower with <paramref name="reducer"/> bound (weights shared).</summary>
    internal VisionTower WithReducer(TokenReducer? reducer)
    {
        TowerCheck.Hook(reducer, Info);
        var bound = (VisionTower)MemberwiseClone();
        bound._reducer = reducer;
        return bound;
    }

    /// <summary>The embedding (projected, not normalised) of a preprocessed [3, S, S] image.</summary>
    /// <param name="pixels">Preprocessed image [3, S, S].</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    public float[] Encode(ReadOnlySpan<float> pixels, BlockHook? hook = null) => Run(pixels, hook, keepTokens: false).Embedding;

    /// <summary>
    /// The embedding and the image tokens as the last block and the post-norm left them (fewer, with their sizes, when
    /// the bound reducer merged some): what a text encoder cross-attends to. Only the class token is normalised unless
    /// the tower norms every token.
    /// </summary>
    internal (float[] Embedding, TokenContext Tokens) EncodeWithTokens(ReadOnlySpan<float> pixels, BlockHook? hook = null)
    {
        var (embedding, tokens) = Run(pixels, hook, keepTokens: true);
        return (embedding, tokens!);
    }

    /// <summary>One forward; the tokens are copied out only when asked for.</summary>
    (float[] Embedding, TokenContext? Tokens) Run(ReadOnlySpan<float> pixels, BlockHook? hook, bool keepTokens)
    {
        hook = TowerHooks.With(_reducer, hook, Info);
        using var tokens = ImageTokens.Embed(pixels, ImageSize, _patchEmbed, _classEmbedding, _positions);
        _preNorm?.Forward(tokens.Features, tokens.Features, Tokens);
        hook?.Outside(_patchEmbed.MacsFor(Tokens - 1) + _projection.MacsFor(1));
        _encoder.Forward(tokens, causal: false, hook);
        var pooled = new float[Info.Width];
        if (_normEveryToken)
        {
            _postNorm.Forward(tokens.Features, tokens.Features, tokens.Count);
            tokens.Row(0).CopyTo(pooled);
        }
        else _postNorm.Forward(tokens.Row(0), pooled, 1);
        var embedding = new float[EmbeddingSize];
        _projection.Forward(pooled, 1, embedding);
        return (embedding, keepTokens ? TokenContext.Of(tokens) : null);
    }

    /// <inheritdoc />
    public float[] Forward(TowerInput input, BlockHook? hook = null) => Encode(ImageTokens.Pixels(input, Info, ImageSize), hook);

    /// <inheritdoc />
    public long DenseMacs(TowerInput input) => Macs;

    /// <inheritdoc />
    public TowerInput Example(int index, int? textTokens = null) => TowerInput.Image(ImageTokens.ExamplePixels(index, ImageSize), ImageSize);

    /// <summary>Multiply-adds of one dense image encoding.</summary>
    public long Macs => _patchEmbed.MacsFor(Tokens - 1) + _encoder.MacsFor(Tokens) + _projection.MacsFor(1);
}
