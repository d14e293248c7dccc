using Sieve.Nn;

namespace Sieve.Fitting;

/// <summary>
/// An observer of one forward (combine it with the reducer that runs, <see cref="BlockHook.Combine"/>): it copies
/// what fitting needs — the cross token's input h_l right after the reducer's <see cref="BlockHook.BeforeBlock"/>
/// has added p_l, and/or the candidate (unprotected) token states at the reduction point, before the reducer
/// shrinks them, which is where MADTP reads them. It holds what it saw, so it serves exactly one forward.
/// </summary>
internal sealed class ForwardProbe : BlockHook
{
    readonly bool _candidates;

    /// <param name="layers">Blocks of the tower the forward runs in.</param>
    /// <param name="recordCandidates">Also copy the unprotected token states of every layer.</param>
    public ForwardProbe(int layers, bool recordCandidates = false)
    {
        _candidates = recordCandidates;
        CrossStates = new float[layers][];
        Candidates = new float[layers][];
    }

    /// <summary>h_l, the cross token's input to block l (null where the forward had no cross token).</summary>
    public float[]?[] CrossStates { get; }

    /// <summary>Unprotected token states [n_l, D] at block l's reduction point (when recorded).</summary>
    public float[]?[] Candidates { get; }

    /// <inheritdoc />
    public override void BeforeBlock(int layer, TokenSet tokens)
    {
        if (tokens.CrossToken >= 0) CrossStates[layer] = tokens.Row(tokens.CrossToken).ToArray();
    }

    /// <inheritdoc />
    public override long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention)
    {
        if (!_candidates) return 0;
        int d = tokens.Width, row = 0;
        var rows = new float[tokens.Candidates * d];
        for (int i = 0; i < tokens.Count; i++)
            if (!tokens.Protected[i]) tokens.Row(i).CopyTo(rows.AsSpan(row++ * d, d));
        Candidates[layer] = rows;
        return 0;
    }
}
