using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>A stack of transformer blocks run over one token sequence, with an optional hook and cross-attention context.</summary>
internal sealed class Encoder(IReadOnlyList<TransformerBlock> blocks)
{
    /// <summary>The blocks, first to last.</summary>
    public IReadOnlyList<TransformerBlock> Blocks => blocks;

    /// <summary>Runs every block over <paramref name="tokens"/>, in place.</summary>
    /// <param name="tokens">The sequence after embedding.</param>
    /// <param name="causal">Token i attends only to tokens ≤ i.</param>
    /// <param name="hook">Null for the plain dense forward; a reducer, an observer, or both (<see cref="BlockHook.Combine"/>).</param>
    /// <param name="context">What blocks with cross-attention attend to; null skips their cross-attention.</param>
    public void Forward(TokenSet tokens, bool causal, BlockHook? hook = null, TokenContext? context = null)
    {
        if (hook != null)
            using (OpProfile.Time(OpKind.Reducer)) hook.Begin(tokens);
        for (int l = 0; l < blocks.Count; l++)
        {
            if (hook != null)
                using (OpProfile.Time(OpKind.Reducer)) hook.BeforeBlock(l, tokens);
            int before = tokens.Count;
            long reducerMacs = blocks[l].Forward(tokens, l, causal, hook, context);
            int after = tokens.Count;
            if (hook == null) continue;
            using var time = OpProfile.Time(OpKind.Reducer);
            hook.AfterBlock(l, tokens, new BlockCost(before, after,
                blocks[l].AttentionMacsFor(before) + blocks[l].CrossMacsFor(after, context?.Count ?? 0) + blocks[l].MlpMacsFor(after) + reducerMacs, reducerMacs));
        }
    }

    /// <summary>Multiply-adds for a dense pass over <paramref name="tokens"/> tokens (cross-attending to <paramref name="contextTokens"/>).</summary>
    public long MacsFor(int tokens, int contextTokens = 0) => blocks.Sum(b => b.MacsFor(tokens, contextTokens));
}
