using System.Numerics.Tensors;
using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>
/// CLIP's image tower (Hugging Face <c>vision_model</c> + <c>visual_projection</c>): patch embedding
/// without bias, class embedding, position embeddings, <c>pre_layrnorm</c>, encoder, and
/// <c>post_layernorm</c> on the class token, projected to the joint space.
/// </summary>
public sealed class ClipVisionTower : IReadoutTower
{
    readonly PatchEmbedding _patchEmbed;
    readonly float[] _classEmbedding, _positions;
    readonly Nn.LayerNorm _preNorm, _postNorm;
    readonly Encoder _encoder;
    readonly Linear _projection;
    readonly ClipConfig _config;
    TokenReducer? _reducer; // set only on the copies WithReducer makes

    internal ClipVisionTower(ClipConfig config, CheckpointReader w)
    {
        _config = config;
        var c = config.Vision;
        int d = c.Width, tokens = Tokens;
        _patchEmbed = w.PatchEmbedding(ClipLayout.Vision.PatchEmbedding, d, 3, config.PatchSize, bias: false);
        _classEmbedding = w.Tensor(ClipLayout.Vision.ClassEmbedding, d);
        _positions = w.Tensor(ClipLayout.Vision.Positions, tokens, d);
        _preNorm = w.LayerNorm(ClipLayout.Vision.PreNorm, d, c.LayerNormEps);
        _encoder = new Encoder(Enumerable.Range(0, c.Layers)
            .Select(i => w.Block(ClipLayout.Vision.Block(i), d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation))
            .ToArray());
        Readout = w.Readout(ClipLayout.Vision.PostNorm, c.LayerNormEps, ClipLayout.Vision.Projection, d, config.ProjectionDim, bias: false);
        _postNorm = Readout.Norm();
        _projection = Readout.Projection();
    }

    /// <summary>The post-norm and visual projection, unpacked (for guidance fitting).</summary>
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
    internal ClipVisionTower WithReducer(TokenReducer? reducer)
    {
        TowerCheck.Hook(reducer, Info);
        var bound = (ClipVisionTower)MemberwiseClone();
        bound._reducer = reducer;
        return bound;
    }

    /// <summary>Projected (not normalised) embedding of a preprocessed [3, S, S] image.</summary>
    /// <param name="pixels">Preprocessed image [3, S, S].</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    public float[] Encode(ReadOnlySpan<float> pixels, BlockHook? hook = null)
    {
        hook = TowerHooks.With(_reducer, hook, Info);
        int d = _config.Vision.Width, count = Tokens;
        using var tokens = ImageTokens.Embed(pixels, _config.ImageSize, _patchEmbed, _classEmbedding, _positions);
        _preNorm.Forward(tokens.Features, tokens.Features, count);
        hook?.Outside(_patchEmbed.MacsFor(count - 1) + _projection.MacsFor(1));
        _encoder.Forward(tokens, causal: false, hook);
        var pooled = new float[d];
        _postNorm.Forward(tokens.Row(0), pooled, 1);
        var embedding = new float[_config.ProjectionDim];
        _projection.Forward(pooled, 1, embedding);
        return embedding;
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
