namespace Sieve.Nn;

/// <summary>A stack of pre-norm transformer blocks run over one token sequence.</summary>
public sealed class Encoder(IReadOnlyList<TransformerBlock> blocks)
{
    /// <summary>The blocks, first to last.</summary>
    public IReadOnlyList<TransformerBlock> Blocks => blocks;

    /// <summary>Runs every block over the <paramref name="tokens"/> rows of <paramref name="x"/>, in place.</summary>
    public void Forward(Span<float> x, int tokens, bool causal = false)
    {
        foreach (var block in blocks) block.Forward(x, tokens, causal);
    }

    /// <summary>Multiply-adds for a dense pass over <paramref name="tokens"/> tokens.</summary>
    public long MacsFor(int tokens) => blocks.Sum(b => b.MacsFor(tokens));
}
