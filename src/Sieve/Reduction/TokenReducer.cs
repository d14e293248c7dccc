using Sieve.Nn;

namespace Sieve.Reduction;

/// <summary>
/// A token reducer bound to one tower: the block hook that shrinks the sequence after each attention residual
/// (<see cref="BlockHook.AfterAttention"/>), so the MLP and every later block run on fewer tokens. Immutable
/// and shareable across threads: everything that changes during a forward lives in the <see cref="TokenSet"/>.
/// </summary>
public abstract class TokenReducer : BlockHook
{
    readonly TowerInfo _tower;
    readonly bool _proportional;

    /// <param name="tower">The tower this reducer runs in.</param>
    /// <param name="proportionalAttention">Add log(size) to key logits once sizes differ.</param>
    protected TokenReducer(TowerInfo tower, bool proportionalAttention)
    {
        _tower = tower;
        _proportional = proportionalAttention;
    }

    /// <summary>The tower this reducer runs in.</summary>
    public override TowerInfo Tower => _tower;

    /// <inheritdoc />
    public override bool ProportionalAttention => _proportional;

    /// <summary>Reduces <paramref name="tokens"/> after the attention residual of block <paramref name="layer"/>.</summary>
    /// <returns>The multiply-adds of the decision and the merge, for honest FLOP counts.</returns>
    public abstract override long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention);
}
