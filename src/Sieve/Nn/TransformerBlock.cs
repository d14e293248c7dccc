using System.Numerics.Tensors;
using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>Pre-norm transformer block: x ← x + Attn(LN1(x)); x ← x + MLP(LN2(x)).</summary>
public sealed class TransformerBlock(LayerNorm norm1, Attention attention, LayerNorm norm2, Mlp mlp)
{
    /// <summary>Model width.</summary>
    public int Width => attention.Width;

    /// <summary>Updates the <paramref name="tokens"/> rows of <paramref name="x"/> in place.</summary>
    public void Forward(Span<float> x, int tokens, bool causal = false)
    {
        int n = tokens * Width;
        using var normedBuffer = new Scratch(n);
        using var updateBuffer = new Scratch(n);
        Span<float> normed = normedBuffer.Span, update = updateBuffer.Span;
        norm1.Forward(x, normed, tokens);
        attention.Forward(normed, tokens, update, causal);
        TensorPrimitives.Add(x[..n], update, x[..n]);
        norm2.Forward(x, normed, tokens);
        mlp.Forward(normed, tokens, update);
        TensorPrimitives.Add(x[..n], update, x[..n]);
    }

    /// <summary>Multiply-adds of one forward over <paramref name="tokens"/> tokens.</summary>
    public long MacsFor(int tokens) => attention.MacsFor(tokens) + mlp.MacsFor(tokens);
}
