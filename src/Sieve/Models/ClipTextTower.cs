using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>
/// CLIP's text tower (Hugging Face <c>text_model</c> + <c>text_projection</c>): token and position
/// embeddings, causal encoder, <c>final_layer_norm</c>, pooled at the first end-of-text token.
/// Only the given tokens run: padding after end-of-text could not change the result under the
/// causal mask, so it is never computed.
/// </summary>
public sealed class ClipTextTower : IReadoutTower
{
    readonly EmbeddingTable _tokens;
    readonly float[] _positions;
    readonly Encoder _encoder;
    readonly Nn.LayerNorm _finalNorm;
    readonly Linear _projection;
    readonly ClipConfig _config;
    TokenReducer? _reducer; // set only on the copies WithReducer makes

    internal ClipTextTower(ClipConfig config, CheckpointReader w)
    {
        _config = config;
        var c = config.Text;
        int d = c.Width;
        _tokens = w.Embedding(ClipLayout.Text.TokenEmbedding, config.VocabSize, d, w.Precision);
        _positions = w.Tensor(ClipLayout.Text.Positions, config.MaxPositions, d);
        _encoder = new Encoder(Enumerable.Range(0, c.Layers)
            .Select(i => w.Block(ClipLayout.Text.Block(i), i, d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation))
            .ToArray());
        Readout = w.Readout(ClipLayout.Text.FinalNorm, c.LayerNormEps, ClipLayout.Text.Projection, d, config.ProjectionDim, bias: false);
        _finalNorm = Readout.Norm();
        _projection = Readout.Projection();
    }

    /// <summary>The final norm and text projection, unpacked (for guidance fitting).</summary>
    internal TokenReadout Readout { get; }

    TokenReadout IReadoutTower.Readout => Readout;

    /// <inheritdoc />
    public TowerInfo Info => new("text", Modality.Text, _config.Text.Layers, _config.Text.Width, _config.Text.Heads, Causal: true);

    /// <inheritdoc />
    int ITower.PatchSize => 0;

    /// <inheritdoc />
    int ITower.ImageSize => 0;

    /// <inheritdoc />
    public int TextTokens => _config.MaxPositions;

    /// <summary>This tower with <paramref name="reducer"/> bound (weights shared).</summary>
    internal ClipTextTower WithReducer(TokenReducer? reducer)
    {
        TowerCheck.Hook(reducer, Info);
        var bound = (ClipTextTower)MemberwiseClone();
        bound._reducer = reducer;
        return bound;
    }

    /// <summary>Projected (not normalised) embedding of a token sequence (start token … end token).</summary>
    /// <param name="ids">Token ids; anything after the first end-of-text is ignored.</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    public float[] Encode(ReadOnlySpan<int> ids, BlockHook? hook = null)
    {
        hook = TowerHooks.With(_reducer, hook, Info);
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
            _tokens.AddRow(id, _positions.AsSpan(i * d, d), x.Slice(i * d, d));
        }
        // Start and end-of-text are text's class tokens: never merged; end-of-text guides and is pooled.
        set.Protect(0);
        set.Protect(tokens - 1);
        set.Guide = tokens - 1;
        hook?.Outside(_projection.MacsFor(1));
        _encoder.Forward(set, causal: true, hook);
        var pooled = new float[d];
        _finalNorm.Forward(set.Row(set.Source[tokens - 1]), pooled, 1);
        var embedding = new float[_config.ProjectionDim];
        _projection.Forward(pooled, 1, embedding);
        return embedding;
    }

    /// <inheritdoc />
    public float[] Forward(TowerInput input, BlockHook? hook = null) => Encode(input.RequireIds(Info), hook);

    /// <inheritdoc />
    public long DenseMacs(TowerInput input) => MacsFor(input.RequireIds(Info).Length);

    /// <summary>
    /// <paramref name="textTokens"/> tokens (default: all positions) ending in end-of-text, the others spread over the
    /// vocabulary and never end-of-text; <paramref name="index"/> does not change them.
    /// </summary>
    public TowerInput Example(int index, int? textTokens = null)
    {
        int length = textTokens ?? _config.MaxPositions, eos = _config.EosTokenId;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        return TowerInput.Text([.. Enumerable.Range(0, length).Select(i =>
        {
            int id = 1 + i * 7919 % (_config.VocabSize - 2);
            return i == length - 1 ? eos : id == eos ? id + 1 : id;
        })]);
    }

    /// <summary>Multiply-adds of encoding <paramref name="tokens"/> tokens.</summary>
    public long MacsFor(int tokens) => _encoder.MacsFor(tokens) + _projection.MacsFor(1);
}
