using Sieve.Eval;
using Sieve.Reduction;

namespace Sieve.Nn;

/// <summary>A stack of pre-norm transformer blocks run over one token sequence, with an optional reducer.</summary>
public sealed class Encoder(IReadOnlyList<TransformerBlock> blocks)
{
    /// <summary>The blocks, first to last.</summary>
    public IReadOnlyList<TransformerBlock> Blocks => blocks;

    /// <summary>Runs every block over <paramref name="tokens"/>, in place.</summary>
    /// <param name="tokens">The sequence after embedding.</param>
    /// <param name="causal">Token i attends only to tokens ≤ i.</param>
    /// <param name="reducer">Null for the dense model.</param>
    /// <param name="trace">Null, or where to record token counts and multiply-adds per block.</param>
    public void Forward(TokenSet tokens, bool causal, TokenReducer? reducer = null, ForwardTrace? trace = null)
    {
        reducer?.Begin(tokens);
        for (int l = 0; l < blocks.Count; l++)
        {
            reducer?.BeforeLayer(l, tokens);
            int before = tokens.Count;
            long reducerMacs = blocks[l].Forward(tokens, l, causal, reducer);
            int after = tokens.Count;
            trace?.AddLayer(new LayerTrace(before, after,
                blocks[l].AttentionMacsFor(before) + blocks[l].MlpMacsFor(after) + reducerMacs, reducerMacs,
                trace.KeepSourceMaps ? tokens.Source.ToArray() : null));
        }
    }

    /// <summary>Multiply-adds for a dense pass over <paramref name="tokens"/> tokens.</summary>
    public long MacsFor(int tokens) => blocks.Sum(b => b.MacsFor(tokens));
}
