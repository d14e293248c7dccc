using System.Numerics.Tensors;
using Sieve.Eval;
using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>
/// CLIP's image tower (Hugging Face <c>vision_model</c> + <c>visual_projection</c>): patch embedding
/// without bias, class embedding, position embeddings, <c>pre_layrnorm</c>, encoder, and
/// <c>post_layernorm</c> on the class token, projected to the joint space.
/// </summary>
public sealed class ClipVisionTower
{
    readonly PatchEmbedding _patchEmbed;
    readonly float[] _classEmbedding, _positions;
    readonly Nn.LayerNorm _preNorm, _postNorm;
    readonly Encoder _encoder;
    readonly Linear _projection;
    readonly ClipConfig _config;

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

    /// <summary>Tokens in the sequence: patches plus the class token.</summary>
    public int Tokens => _config.Grid * _config.Grid + 1;

    /// <summary>The encoder's shape, for binding a token reducer.</summary>
    public TowerInfo Tower => new("vision", Modality.Image, _config.Vision.Layers, _config.Vision.Width, _config.Vision.Heads);

    /// <summary>Projected (not normalised) embedding of a preprocessed [3, S, S] image.</summary>
    /// <param name="pixels">Preprocessed image [3, S, S].</param>
    /// <param name="reducer">Null for the dense tower, or a reducer bound to <see cref="Tower"/>.</param>
    /// <param name="trace">Null, or where to record token counts and multiply-adds.</param>
    public float[] Encode(ReadOnlySpan<float> pixels, TokenReducer? reducer = null, ForwardTrace? trace = null)
    {
        TowerCheck.Reducer(reducer, Tower);
        int d = _config.Vision.Width, count = Tokens;
        using var tokens = ImageTokens.Embed(pixels, _config.ImageSize, _patchEmbed, _classEmbedding, _positions);
        _preNorm.Forward(tokens.Features, tokens.Features, count);
        trace?.AddMacs(_patchEmbed.MacsFor(count - 1) + _projection.MacsFor(1));
        _encoder.Forward(tokens, causal: false, reducer, trace);
        var pooled = new float[d];
        _postNorm.Forward(tokens.Row(0), pooled, 1);
        var embedding = new float[_config.ProjectionDim];
        _projection.Forward(pooled, 1, embedding);
        return embedding;
    }

    /// <summary>Multiply-adds of one dense image encoding.</summary>
    public long Macs => _patchEmbed.MacsFor(Tokens - 1) + _encoder.MacsFor(Tokens) + _projection.MacsFor(1);
}
