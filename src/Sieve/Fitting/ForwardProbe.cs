using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Fitting;

/// <summary>
/// A decorator that watches one forward without changing it: every member is forwarded to the wrapped
/// reducer (or does nothing without one), and the probe copies what fitting needs — the cross token's
/// input h_l right after the inner <see cref="TokenReducer.BeforeLayer"/> has added p_l, and/or the
/// candidate (unprotected) token states at the reduction point, which is where MADTP reads them.
/// Unlike the reducers it wraps it holds state, so it serves exactly one forward.
/// </summary>
public sealed class ForwardProbe : TokenReducer
{
    readonly TokenReducer? _inner;
    readonly bool _candidates;

    /// <param name="tower">The tower the forward runs in.</param>
    /// <param name="inner">The reducer that really runs, or null for the dense forward.</param>
    /// <param name="recordCandidates">Also copy the unprotected token states of every layer.</param>
    public ForwardProbe(TowerInfo tower, TokenReducer? inner, bool recordCandidates = false)
        : base(tower, inner?.ProportionalAttention ?? true)
    {
        if (inner != null && inner.Tower != tower) throw new ArgumentException($"the reducer runs in the {inner.Tower.Name} tower, not the {tower.Name} tower", nameof(inner));
        _inner = inner;
        _candidates = recordCandidates;
        CrossStates = new float[tower.Layers][];
        Candidates = new float[tower.Layers][];
    }

    /// <summary>h_l, the cross token's input to block l (null where the forward had no cross token).</summary>
    public float[]?[] CrossStates { get; }

    /// <summary>Unprotected token states [n_l, D] at block l's reduction point (when recorded).</summary>
    public float[]?[] Candidates { get; }

    /// <inheritdoc />
    public override bool NeedsProbabilities(int layer) => _inner?.NeedsProbabilities(layer) ?? false;

    /// <inheritdoc />
    public override bool NeedsHeadOutputs => _inner?.NeedsHeadOutputs ?? false;

    /// <inheritdoc />
    public override void Begin(TokenSet tokens) => _inner?.Begin(tokens);

    /// <inheritdoc />
    public override void BeforeLayer(int layer, TokenSet tokens)
    {
        _inner?.BeforeLayer(layer, tokens);
        if (tokens.CrossToken >= 0) CrossStates[layer] = tokens.Row(tokens.CrossToken).ToArray();
    }

    /// <inheritdoc />
    public override long Reduce(int layer, TokenSet tokens, AttentionCapture attention)
    {
        if (_candidates)
        {
            int d = tokens.Width, row = 0;
            var rows = new float[tokens.Candidates * d];
            for (int i = 0; i < tokens.Count; i++)
                if (!tokens.Protected[i]) tokens.Row(i).CopyTo(rows.AsSpan(row++ * d, d));
            Candidates[layer] = rows;
        }
        return _inner?.Reduce(layer, tokens, attention) ?? 0;
    }
}
