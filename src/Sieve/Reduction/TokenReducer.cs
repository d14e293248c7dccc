using Sieve.Nn;

namespace Sieve.Reduction;

/// <summary>
/// A token reducer bound to one tower. Immutable and shareable across threads: everything that changes
/// during a forward lives in the <see cref="TokenSet"/>. A block calls <see cref="Reduce"/> after its
/// attention residual and runs its MLP on what is left.
/// </summary>
public abstract class TokenReducer
{
    /// <param name="tower">The tower this reducer runs in.</param>
    /// <param name="proportionalAttention">Add log(size) to key logits once sizes differ.</param>
    protected TokenReducer(TowerInfo tower, bool proportionalAttention)
    {
        Tower = tower;
        ProportionalAttention = proportionalAttention;
    }

    /// <summary>The tower this reducer runs in.</summary>
    public TowerInfo Tower { get; }

    /// <summary>Whether attention adds log(size) to key logits once sizes differ.</summary>
    public bool ProportionalAttention { get; }

    /// <summary>Whether the attention of block <paramref name="layer"/> must keep its probabilities [H, N, N] for <see cref="Reduce"/>.</summary>
    public virtual bool NeedsProbabilities(int layer) => false;

    /// <summary>Whether the attention must keep its per-head outputs for <see cref="Reduce"/>.</summary>
    public virtual bool NeedsHeadOutputs => false;

    /// <summary>Called once after embedding, before the first block (e.g. to append a cross token).</summary>
    public virtual void Begin(TokenSet tokens) { }

    /// <summary>Called before block <paramref name="layer"/> runs (e.g. to add a cross-token offset).</summary>
    public virtual void BeforeLayer(int layer, TokenSet tokens) { }

    /// <summary>
    /// Reduces <paramref name="tokens"/> after the attention residual of block <paramref name="layer"/>;
    /// returns the multiply-adds the decision and the merge cost, for honest FLOP counts.
    /// </summary>
    public abstract long Reduce(int layer, TokenSet tokens, AttentionCapture attention);
}
