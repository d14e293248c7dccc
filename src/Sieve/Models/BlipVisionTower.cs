using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>
/// BLIP's vision tower (Hugging Face <c>vision_model</c> + <c>vision_proj</c>): patch embedding with bias, class
/// embedding, positions, pre-norm layers with a fused qkv, <c>post_layernorm</c> on every token (the image tokens the
/// text encoder cross-attends to), and the class token projected into the contrastive space.
/// </summary>
public sealed class BlipVisionTower : IReadoutTower
{
    readonly PatchEmbedding _patchEmbed;
    readonly float[] _classEmbedding, _positions;
    readonly Nn.LayerNorm _postNorm;
    readonly Encoder _encoder;
    readonly Linear _projection;
    readonly BlipConfig _config;
    TokenReducer? _reducer; // set only on the copies WithReducer makes

    internal BlipVisionTower(BlipConfig config, CheckpointReader w)
    {
        _config = config;
        var c = config.Vision;
        int d = c.Width;
        _patchEmbed = w.PatchEmbedding(BlipLayout.Vision.PatchEmbedding, d, 3, config.PatchSize, bias: true);
        _classEmbedding = w.Tensor(BlipLayout.Vision.ClassEmbedding, 1, 1, d);
        _positions = w.Tensor(BlipLayout.Vision.Positions, 1, Tokens, d);
        if (w.Has(BlipLayout.Vision.Block(c.Layers).Norm1 + ".weight"))
            throw new SieveFormatException($"the checkpoint has more than the {c.Layers} vision layers its config.json describes");
        _encoder = new Encoder(Enumerable.Range(0, c.Layers)
            .Select(i => w.Block(BlipLayout.Vision.Block(i), d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation))
            .ToArray());
        Readout = w.Readout(BlipLayout.Vision.PostNorm, c.LayerNormEps, BlipLayout.Vision.Projection, d, config.ImageTextWidth, bias: true);
        _postNorm = Readout.Norm();
        _projection = Readout.Projection();
    }

    /// <summary>The post-norm and contrastive projection, unpacked (for guidance fitting).</summary>
    internal TokenReadout Readout { get; }

    TokenReadout IReadoutTower.Readout => Readout;

    /// <summary>Tokens in the sequence: patches plus the class token.</summary>
    public int Tokens => _config.Grid * _config.Grid + 1;

    /// <inheritdoc />
    public TowerInfo Info => new("vision", Modality.Image, _config.Vision.Layers, _config.Vision.Width, _config.Vision.Heads);

    /// <inheritdoc />
    public int PatchSize => _config.PatchSize;

    /// <inheritdoc />
    public int ImageSize => _config.ImageSize;

    /// <inheritdoc />
    int ITower.TextTokens => 0;

    /// <summary>This tower with <paramref name="reducer"/> bound (weights shared).</summary>
    internal BlipVisionTower WithReducer(TokenReducer? reducer)
    {
        TowerCheck.Hook(reducer, Info);
        var bound = (BlipVisionTower)MemberwiseClone();
        bound._reducer = reducer;
        return bound;
    }

    /// <summary>The contrastive image embedding (projected, not normalised) of a preprocessed [3, S, S] image.</summary>
    /// <param name="pixels">Preprocessed image [3, S, S].</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    public float[] Encode(ReadOnlySpan<float> pixels, BlockHook? hook = null) => EncodeWithTokens(pixels, hook).Embedding;

    /// <summary>
    /// The contrastive embedding and the image tokens as the last layer and <c>post_layernorm</c> left them (fewer, with
    /// their sizes, when the bound reducer merged some): what the text encoder cross-attends to.
    /// </summary>
    internal (float[] Embedding, TokenContext Tokens) EncodeWithTokens(ReadOnlySpan<float> pixels, BlockHook? hook = null)
    {
        hook = TowerHooks.With(_reducer, hook, Info);
        using var tokens = ImageTokens.Embed(pixels, _config.ImageSize, _patchEmbed, _classEmbedding, _positions);
        hook?.Outside(_patchEmbed.MacsFor(Tokens - 1) + _projection.MacsFor(1));
        _encoder.Forward(tokens, causal: false, hook);
        _postNorm.Forward(tokens.Features, tokens.Features, tokens.Count);
        var embedding = new float[_config.ImageTextWidth];
        _projection.Forward(tokens.Row(0), 1, embedding);
        return (embedding, TokenContext.Of(tokens));
    }

    /// <inheritdoc />
    public float[] Forward(TowerInput input, BlockHook? hook = null) => Encode(ImageTokens.Pixels(input, Info, _config.ImageSize), hook);

    /// <inheritdoc />
    public long DenseMacs(TowerInput input) => Macs;

    /// <inheritdoc />
    public TowerInput Example(int index, int? textTokens = null) => TowerInput.Image(ImageTokens.ExamplePixels(index, _config.ImageSize), _config.ImageSize);

    /// <summary>Multiply-adds of one dense image encoding.</summary>
    public long Macs => _patchEmbed.MacsFor(Tokens - 1) + _encoder.MacsFor(Tokens) + _projection.MacsFor(1);
}
