namespace Sieve.Nn;

/// <summary>What one block of a forward executed, as a hook sees it after the block.</summary>
/// <param name="AttentionTokens">Tokens the attention saw.</param>
/// <param name="MlpTokens">Tokens the MLP saw (after any reduction).</param>
/// <param name="Macs">Multiply-adds of the block at those counts, the reduction's own work included.</param>
/// <param name="ReducerMacs">Multiply-adds of the reduction alone.</param>
public readonly record struct BlockCost(int AttentionTokens, int MlpTokens, long Macs, long ReducerMacs);

/// <summary>
/// The one way to take part in a tower's forward. A tower calls <see cref="Begin"/> after embedding, then
/// for every block <see cref="BeforeBlock"/>, <see cref="AfterAttention"/> (after the attention residual,
/// before the MLP: where a token reducer shrinks the sequence) and <see cref="AfterBlock"/>, and reports the
/// work it does outside the blocks (embedding, pooling, heads) through <see cref="Outside"/>. Every member
/// does nothing by default. Reducers (<c>Sieve.Reduction.TokenReducer</c>) are immutable hooks bound to one
/// tower; observers (a MAC trace, a fitting probe) hold what they saw and serve one forward.
/// <see cref="Combine"/> runs several as one.
/// </summary>
public abstract class BlockHook
{
    /// <summary>The tower this hook was built for, or null when it fits any tower (an observer).</summary>
    public virtual TowerInfo? Tower => null;

    /// <summary>Whether attention adds log(size) to key logits once token sizes differ.</summary>
    public virtual bool ProportionalAttention => false;

    /// <summary>Whether the attention of block <paramref name="layer"/> must keep its probabilities [H, N, N] for <see cref="AfterAttention"/>.</summary>
    public virtual bool NeedsProbabilities(int layer) => false;

    /// <summary>Whether the attention must keep its per-head outputs for <see cref="AfterAttention"/>.</summary>
    public virtual bool NeedsHeadOutputs => false;

    /// <summary>Called once after embedding, before the first block (e.g. to append a cross token).</summary>
    public virtual void Begin(TokenSet tokens) { }

    /// <summary>Called before block <paramref name="layer"/> runs (e.g. to add a cross-token offset).</summary>
    public virtual void BeforeBlock(int layer, TokenSet tokens) { }

    /// <summary>
    /// Called after the attention residual of block <paramref name="layer"/>, before its MLP; a reducer shrinks
    /// <paramref name="tokens"/> here. Returns the multiply-adds this call did, for honest FLOP counts.
    /// </summary>
    public virtual long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention) => 0;

    /// <summary>Called after block <paramref name="layer"/> with what it executed.</summary>
    public virtual void AfterBlock(int layer, TokenSet tokens, BlockCost cost) { }

    /// <summary>Multiply-adds the tower did outside its blocks (patch embedding, pooling, projections, heads).</summary>
    public virtual void Outside(long macs) { }

    /// <summary>
    /// One hook that runs both (either may be null; null when both are). At most one may be a reducer (a hook
    /// with a <see cref="Tower"/>). An observer sees what the block sees: in <see cref="Begin"/> and
    /// <see cref="BeforeBlock"/> the tokens after the reducer prepared them (a cross token added), in
    /// <see cref="AfterAttention"/> the tokens as the attention left them, before the reducer shrinks them.
    /// </summary>
    public static BlockHook? Combine(BlockHook? first, BlockHook? second) =>
        first == null ? second : second == null ? first : new CombinedHook(first, second);

    sealed class CombinedHook : BlockHook
    {
        // _first is the reducer when there is one; _second observes it.
        readonly BlockHook _first, _second;

        public CombinedHook(BlockHook first, BlockHook second)
        {
            if (first.Tower != null && second.Tower != null)
                throw new ArgumentException($"two token reducers in one forward ({first.Tower.Name} and {second.Tower.Name} tower); a tower runs one");
            (_first, _second) = second.Tower != null ? (second, first) : (first, second);
        }

        public override TowerInfo? Tower => _first.Tower ?? _second.Tower;
        public override bool ProportionalAttention => _first.ProportionalAttention || _second.ProportionalAttention;
        public override bool NeedsProbabilities(int layer) => _first.NeedsProbabilities(layer) || _second.NeedsProbabilities(layer);
        public override bool NeedsHeadOutputs => _first.NeedsHeadOutputs || _second.NeedsHeadOutputs;

        public override void Begin(TokenSet tokens)
        {
            _first.Begin(tokens);
            _second.Begin(tokens);
        }

        public override void BeforeBlock(int layer, TokenSet tokens)
        {
            _first.BeforeBlock(layer, tokens);
            _second.BeforeBlock(layer, tokens);
        }

        public override long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention)
        {
            long observed = _second.AfterAttention(layer, tokens, attention);
            return observed + _first.AfterAttention(layer, tokens, attention);
        }

        public override void AfterBlock(int layer, TokenSet tokens, BlockCost cost)
        {
            _first.AfterBlock(layer, tokens, cost);
            _second.AfterBlock(layer, tokens, cost);
        }

        public override void Outside(long macs)
        {
            _first.Outside(macs);
            _second.Outside(macs);
        }
    }
}
