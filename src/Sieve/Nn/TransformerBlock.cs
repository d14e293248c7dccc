using System.Numerics.Tensors;
using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// Pre-norm transformer block: x ← x + Attn(LN1(x)); then the hook's <see cref="BlockHook.AfterAttention"/>
/// (ALGORITHMS.md's reduction point); then x ← x + MLP(LN2(x)) on the tokens that are left.
/// </summary>
internal sealed class TransformerBlock(LayerNorm norm1, Attention attention, LayerNorm norm2, Mlp mlp)
{
    /// <summary>Model width.</summary>
    public int Width => attention.Width;

    /// <summary>Attention heads.</summary>
    public int Heads => attention.Heads;

    /// <summary>Runs the block on <paramref name="tokens"/> in place; returns the multiply-adds of the hook's <see cref="BlockHook.AfterAttention"/>.</summary>
    /// <param name="tokens">The sequence; the hook may shrink it.</param>
    /// <param name="layer">This block's index in its tower.</param>
    /// <param name="causal">Token i attends only to tokens ≤ i.</param>
    /// <param name="hook">Null for the plain dense block.</param>
    public long Forward(TokenSet tokens, int layer, bool causal, BlockHook? hook)
    {
        int count = tokens.Count, n = count * Width;
        long reducerMacs = 0;
        using var normedBuffer = new Scratch(n);
        using var updateBuffer = new Scratch(n);
        Span<float> normed = normedBuffer.Span, update = updateBuffer.Span;
        bool proportional = hook is { ProportionalAttention: true } && tokens.SizesDiffer;
        using var logSizes = new Scratch(proportional ? count : 0);
        if (proportional) tokens.LogSizes(logSizes.Span);
        using (var capture = hook == null ? null : new AttentionCapture(count, Width, Heads, hook.NeedsProbabilities(layer), hook.NeedsHeadOutputs))
        {
            norm1.Forward(tokens.Features, normed, count);
            attention.Forward(normed, count, update, causal, proportional ? logSizes.Array : null, capture);
            TensorPrimitives.Add(tokens.Features, update, tokens.Features);
            if (hook != null) reducerMacs = hook.AfterAttention(layer, tokens, capture!);
        }

        count = tokens.Count;
        n = count * Width;
        norm2.Forward(tokens.Features, normed, count);
        mlp.Forward(normed[..n], count, update[..n]);
        TensorPrimitives.Add(tokens.Features, update[..n], tokens.Features);
        return reducerMacs;
    }

    /// <summary>Multiply-adds of the attention over <paramref name="tokens"/> tokens.</summary>
    public long AttentionMacsFor(int tokens) => attention.MacsFor(tokens);

    /// <summary>Multiply-adds of the MLP over <paramref name="tokens"/> tokens.</summary>
    public long MlpMacsFor(int tokens) => mlp.MacsFor(tokens);

    /// <summary>Multiply-adds of one dense forward over <paramref name="tokens"/> tokens.</summary>
    public long MacsFor(int tokens) => attention.MacsFor(tokens) + mlp.MacsFor(tokens);
}
