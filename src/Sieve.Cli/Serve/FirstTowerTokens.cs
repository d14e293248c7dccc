using Sieve.Nn;

namespace Sieve.Cli.Serve;

/// <summary>
/// Tokens left after the last block of the first tower a request's forward runs: the image tower's wherever the task
/// reads an image (BLIP's question encoder and text passes run after it), else the one tower's. A tower starts again
/// at block 0, which is how the first one's end is seen.
/// </summary>
internal sealed class FirstTowerTokens : BlockHook
{
    int _lastLayer = -1;
    bool _ended;

    /// <summary>The tokens after the first tower's last block so far; 0 before any block.</summary>
    public int Kept { get; private set; }

    /// <inheritdoc />
    public override void AfterBlock(int layer, TokenSet tokens, BlockCost cost)
    {
        if (_ended || layer <= _lastLayer)
        {
            _ended = true;
            return;
        }
        (_lastLayer, Kept) = (layer, cost.MlpTokens);
    }
}
