using System.Numerics.Tensors;
using Sieve.Eval;
using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>
/// CLIP's text tower (Hugging Face <c>text_model</c> + <c>text_projection</c>): token and position
/// embeddings, causal encoder, <c>final_layer_norm</c>, pooled at the first end-of-text token.
/// Only the given tokens run: padding after end-of-text could not change the result under the
/// causal mask, so it is never computed.
/// </summary>
public sealed class ClipTextTower
{
    readonly float[] _tokenEmbedding, _positions;
    readonly Encoder _encoder;
    readonly Nn.LayerNorm _finalNorm;
    readonly Linear _projection;
    readonly ClipConfig _config;

    internal ClipTextTower(ClipConfig config, CheckpointReader w)
    {
        _config = config;
        var c = config.Text;
        int d = c.Width;
        _tokenEmbedding = w.Tensor(ClipLayout.Text.TokenEmbedding, config.VocabSize, d);
        _positions = w.Tensor(ClipLayout.Text.Positions, config.MaxPositions, d);
        _encoder = new Encoder(Enumerable.Range(0, c.Layers)
            .Select(i => w.Block(ClipLayout.Text.Block(i), d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation))
            .ToArray());
        Readout = w.Readout(ClipLayout.Text.FinalNorm, c.LayerNormEps, ClipLayout.Text.Projection, d, config.ProjectionDim, bias: false);
        _finalNorm = Readout.Norm();
        _projection = Readout.Projection();
    }

    /// <summary>The final norm and text projection, unpacked (for guidance fitting).</summary>
    internal TokenReadout Readout { get; }

    /// <summary>The encoder's shape, for binding a token reducer.</summary>
    public TowerInfo Tower => new("text", Modality.Text, _config.Text.Layers, _config.Text.Width, _config.Text.Heads, Causal: true);

    /// <summary>Projected (not normalised) embedding of a token sequence (start token … end token).</summary>
    /// <param name="ids">Token ids; anything after the first end-of-text is ignored.</param>
    /// <param name="reducer">Null for the dense tower, or a reducer bound to <see cref="Tower"/>.</param>
    /// <param name="trace">Null, or where to record token counts and multiply-adds.</param>
    public float[] Encode(ReadOnlySpan<int> ids, TokenReducer? reducer = null, ForwardTrace? trace = null)
    {
        TowerCheck.Reducer(reducer, Tower);
        if (ids.IsEmpty) throw new ArgumentException("token sequence is empty", nameof(ids));
        if (ids.Length > _config.MaxPositions)
            throw new ArgumentException($"{ids.Length} tokens exceed the model's {_config.MaxPositions} positions", nameof(ids));
        int eos = ids.IndexOf(_config.EosTokenId);
        // Tokens after the first end-of-text cannot influence it (causal mask): drop them.
        int tokens = eos >= 0 ? eos + 1 : ids.Length;
        int d = _config.Text.Width;
        using var set = new TokenSet(Modality.Text, tokens, d, tokens + 1);
        var x = set.Features;
        for (int i = 0; i < tokens; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_config.VocabSize)
                throw new ArgumentException($"token id {id} at position {i} is outside the vocabulary of {_config.VocabSize}", nameof(ids));
            TensorPrimitives.Add(_tokenEmbedding.AsSpan(id * d, d), _positions.AsSpan(i * d, d), x.Slice(i * d, d));
        }
        // Start and end-of-text are text's class tokens: never merged; end-of-text guides and is pooled.
        set.Protect(0);
        set.Protect(tokens - 1);
        set.Guide = tokens - 1;
        trace?.AddMacs(_projection.MacsFor(1));
        _encoder.Forward(set, causal: true, reducer, trace);
        var pooled = new float[d];
        _finalNorm.Forward(set.Row(set.Source[tokens - 1]), pooled, 1);
        var embedding = new float[_config.ProjectionDim];
        _projection.Forward(pooled, 1, embedding);
        return embedding;
    }

    /// <summary>Multiply-adds of encoding <paramref name="tokens"/> tokens.</summary>
    public long MacsFor(int tokens) => _encoder.MacsFor(tokens) + _projection.MacsFor(1);
}
