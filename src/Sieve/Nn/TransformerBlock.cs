using System.Numerics.Tensors;
using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// A transformer block: self-attention, then the hook's <see cref="BlockHook.AfterAttention"/> (ALGORITHMS.md's
/// reduction point), then, when the block has one and a context is given, cross-attention to the context, then the
/// MLP, on the tokens that are left. Pre-norm blocks add each sublayer to x (x ← x + f(LN(x))); post-norm (BERT)
/// blocks normalise each sum (x ← LN(x + f(x))), the reduction point then following the first LayerNorm.
/// </summary>
internal sealed class TransformerBlock
{
    readonly LayerNorm _norm1, _norm2;
    readonly Attention _attention;
    readonly Mlp _mlp;
    readonly NormPlacement _placement;
    readonly (CrossAttention Attention, LayerNorm Norm)? _cross;

    /// <param name="norm1">The self-attention's LayerNorm.</param>
    /// <param name="attention">Self-attention.</param>
    /// <param name="norm2">The MLP's LayerNorm.</param>
    /// <param name="mlp">The MLP.</param>
    /// <param name="placement">Before each sublayer or after each sum.</param>
    /// <param name="cross">Null, or the cross-attention sublayer and its LayerNorm.</param>
    public TransformerBlock(LayerNorm norm1, Attention attention, LayerNorm norm2, Mlp mlp,
        NormPlacement placement = NormPlacement.Pre, (CrossAttention Attention, LayerNorm Norm)? cross = null)
    {
        if (cross is { Attention: var c } && (c.Width != attention.Width || c.Heads != attention.Heads))
            throw new ArgumentException($"cross-attention ({c.Width} wide, {c.Heads} heads) does not fit the block ({attention.Width} wide, {attention.Heads} heads)", nameof(cross));
        (_norm1, _attention, _norm2, _mlp, _placement, _cross) = (norm1, attention, norm2, mlp, placement, cross);
    }

    /// <summary>Model width.</summary>
    public int Width => _attention.Width;

    /// <summary>Attention heads.</summary>
    public int Heads => _attention.Heads;

    /// <summary>Runs the block on <paramref name="tokens"/> in place; returns the multiply-adds of the hook's <see cref="BlockHook.AfterAttention"/>.</summary>
    /// <param name="tokens">The sequence; the hook may shrink it.</param>
    /// <param name="layer">This block's index in its tower.</param>
    /// <param name="causal">Token i attends only to tokens ≤ i.</param>
    /// <param name="hook">Null for the plain dense block.</param>
    /// <param name="context">What the cross-attention reads; null skips it (BLIP's text encoder alone).</param>
    public long Forward(TokenSet tokens, int layer, bool causal, BlockHook? hook, TokenContext? context = null)
    {
        int count = tokens.Count, n = count * Width;
        bool pre = _placement == NormPlacement.Pre;
        long reducerMacs = 0;
        using var normedBuffer = new Scratch(n);
        using var updateBuffer = new Scratch(n);
        Span<float> normed = normedBuffer.Span, update = updateBuffer.Span;
        bool proportional = hook is { ProportionalAttention: true } && tokens.SizesDiffer;
        using var logSizes = new Scratch(proportional ? count : 0);
        if (proportional) tokens.LogSizes(logSizes.Span);
        using (var capture = hook == null ? null : new AttentionCapture(count, Width, Heads, hook.NeedsProbabilities(layer), hook.NeedsHeadOutputs))
        {
            if (pre) _norm1.Forward(tokens.Features, normed, count);
            _attention.Forward(pre ? normed : tokens.Features, count, update, causal, proportional ? logSizes.Array : null, capture);
            AddResidual(tokens, update, count, pre ? null : _norm1);
            if (hook != null)
                using (OpProfile.Time(OpKind.Reducer)) reducerMacs = hook.AfterAttention(layer, tokens, capture!);
        }

        count = tokens.Count;
        n = count * Width;
        if (_cross is var (cross, crossNorm) && context != null)
        {
            if (pre) crossNorm.Forward(tokens.Features, normed, count);
            cross.Forward(pre ? normed[..n] : tokens.Features, count, context, update[..n]);
            AddResidual(tokens, update, count, pre ? null : crossNorm);
        }
        if (pre) _norm2.Forward(tokens.Features, normed, count);
        _mlp.Forward(pre ? normed[..n] : tokens.Features, count, update[..n]);
        AddResidual(tokens, update, count, pre ? null : _norm2);
        return reducerMacs;
    }

    /// <summary>
    /// Runs the block, with no hook, over the <paramref name="tokens"/> newest rows <paramref name="x"/> of a causal
    /// sequence (a decoder step), in place: self-attention over <paramref name="cache"/> (which gains their keys and
    /// values), cross-attention to a context projected once (<see cref="ProjectContext"/>), MLP.
    /// </summary>
    public void Decode(Span<float> x, int tokens, KeyValueCache cache, ContextKeyValues? context)
    {
        int n = tokens * Width;
        bool pre = _placement == NormPlacement.Pre;
        using var normedBuffer = new Scratch(n);
        using var updateBuffer = new Scratch(n);
        Span<float> normed = normedBuffer.Span, update = updateBuffer.Span;
        x = x[..n];
        if (pre) _norm1.Forward(x, normed, tokens);
        _attention.Forward(pre ? normed : x, tokens, update, cache);
        AddResidual(x, update, tokens, pre ? null : _norm1);
        if (_cross is var (cross, crossNorm) && context != null)
        {
            if (pre) crossNorm.Forward(x, normed, tokens);
            cross.Forward(pre ? normed : x, tokens, context, update);
            AddResidual(x, update, tokens, pre ? null : crossNorm);
        }
        if (pre) _norm2.Forward(x, normed, tokens);
        _mlp.Forward(pre ? normed : x, tokens, update);
        AddResidual(x, update, tokens, pre ? null : _norm2);
    }

    /// <summary>The keys and values this block's cross-attention reads from <paramref name="context"/>, for <see cref="Decode"/>.</summary>
    /// <exception cref="InvalidOperationException">The block has no cross-attention.</exception>
    public ContextKeyValues ProjectContext(TokenContext context) =>
        _cross is var (cross, _) ? cross.Project(context, forDecoding: true) : throw new InvalidOperationException("this block has no cross-attention");

    /// <summary>x ← x + update, then x ← LN(x) for a post-norm sublayer.</summary>
    static void AddResidual(TokenSet tokens, ReadOnlySpan<float> update, int count, LayerNorm? postNorm) =>
        AddResidual(tokens.Features, update, count, postNorm);

    /// <summary>x ← x + update over the <paramref name="count"/> rows of <paramref name="x"/>, then x ← LN(x) for a post-norm sublayer.</summary>
    static void AddResidual(Span<float> x, ReadOnlySpan<float> update, int count, LayerNorm? postNorm)
    {
        using (OpProfile.Time(OpKind.Residual)) TensorPrimitives.Add(x, update[..x.Length], x);
        postNorm?.Forward(x, x, count);
    }

    /// <summary>Multiply-adds of the attention over <paramref name="tokens"/> tokens.</summary>
    public long AttentionMacsFor(int tokens) => _attention.MacsFor(tokens);

    /// <summary>Multiply-adds of the cross-attention of <paramref name="tokens"/> tokens over <paramref name="contextTokens"/> (0 without one).</summary>
    public long CrossMacsFor(int tokens, int contextTokens) => _cross is var (cross, _) && contextTokens > 0 ? cross.MacsFor(tokens, contextTokens) : 0;

    /// <summary>Multiply-adds of the MLP over <paramref name="tokens"/> tokens.</summary>
    public long MlpMacsFor(int tokens) => _mlp.MacsFor(tokens);

    /// <summary>Multiply-adds of one dense forward over <paramref name="tokens"/> tokens (and <paramref name="contextTokens"/> context tokens).</summary>
    public long MacsFor(int tokens, int contextTokens = 0) => _attention.MacsFor(tokens) + CrossMacsFor(tokens, contextTokens) + _mlp.MacsFor(tokens);
}
