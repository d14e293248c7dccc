namespace Sieve.Nn;

/// <summary>One block of a traced forward.</summary>
/// <param name="AttentionTokens">Tokens the attention saw.</param>
/// <param name="MlpTokens">Tokens the MLP saw (after the reducer).</param>
/// <param name="Macs">Multiply-adds of the block, reducer included.</param>
/// <param name="ReducerMacs">Multiply-adds of the reducer alone.</param>
/// <param name="Source">For each original token, the token it belonged to after this block (only when requested).</param>
public sealed record LayerTrace(int AttentionTokens, int MlpTokens, long Macs, long ReducerMacs, int[]? Source);

/// <summary>
/// An observer that records what one forward executed: token counts per block and multiply-adds counted at the
/// actual token counts (fvcore's convention: one MAC = one "FLOP"; norms and elementwise ops not counted).
/// Combine it with a reducer (<see cref="BlockHook.Combine"/>); it serves one forward.
/// </summary>
public sealed class ForwardTrace : BlockHook
{
    readonly List<LayerTrace> _layers = [];

    /// <summary>Also record the source map after every block (for visualisation).</summary>
    public bool KeepSourceMaps { get; init; }

    /// <summary>Blocks in order.</summary>
    public IReadOnlyList<LayerTrace> Layers => _layers;

    /// <summary>All multiply-adds of the forward (embedding, blocks, head).</summary>
    public long Macs { get; private set; }

    /// <summary><see cref="Macs"/> in billions.</summary>
    public double GMacs => Macs / 1e9;

    /// <inheritdoc />
    public override void AfterBlock(int layer, TokenSet tokens, BlockCost cost)
    {
        _layers.Add(new LayerTrace(cost.AttentionTokens, cost.MlpTokens, cost.Macs, cost.ReducerMacs, KeepSourceMaps ? tokens.Source.ToArray() : null));
        Macs += cost.Macs;
    }

    /// <inheritdoc />
    public override void Outside(long macs) => Macs += macs;
}
