using System.Numerics.Tensors;
using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// Multi-head self-attention with a fused QKV projection ([q; k; v] rows, as timm stores it; Hugging
/// Face's separate q/k/v projections are concatenated at load). Heads run in parallel; each head's
/// T × T scores exist only while that head is computed.
/// </summary>
internal sealed class Attention
{
    readonly Linear _qkv, _proj;

    /// <summary>Model width D.</summary>
    public int Width { get; }

    /// <summary>Number of heads; head width is D / heads.</summary>
    public int Heads { get; }

    /// <param name="qkv">D → 3D projection, output rows ordered q, k, v.</param>
    /// <param name="proj">D → D output projection.</param>
    /// <param name="heads">Head count; must divide D.</param>
    public Attention(Linear qkv, Linear proj, int heads)
    {
        if (qkv.Out != 3 * qkv.In || proj.In != qkv.In || proj.Out != qkv.In)
            throw new ArgumentException($"attention projections do not fit width {qkv.In}: qkv {qkv.In}→{qkv.Out}, proj {proj.In}→{proj.Out}");
        if (heads <= 0 || qkv.In % heads != 0)
            throw new ArgumentException($"{heads} heads do not divide width {qkv.In}", nameof(heads));
        _qkv = qkv;
        _proj = proj;
        Width = qkv.In;
        Heads = heads;
    }

    /// <summary>y = Attn(x) for a sequence of <paramref name="tokens"/> rows.</summary>
    /// <param name="x">Normalised input, [tokens, D].</param>
    /// <param name="tokens">Sequence length.</param>
    /// <param name="y">Output, [tokens, D]; overwritten.</param>
    /// <param name="causal">Token i attends only to tokens ≤ i (CLIP's text tower).</param>
    /// <param name="keyBias">
    /// Null, or one value per key added to every logit after scaling: log(size) for proportional
    /// attention, so a merged token weighs as the tokens it replaced.
    /// </param>
    /// <param name="capture">Null, or where to keep projections, probabilities and per-head outputs for a reducer.</param>
    public void Forward(ReadOnlySpan<float> x, int tokens, Span<float> y, bool causal, float[]? keyBias = null, AttentionCapture? capture = null)
    {
        int d = Width;
        if (keyBias != null && keyBias.Length < tokens) throw new ArgumentException($"key bias has {keyBias.Length} values for {tokens} tokens", nameof(keyBias));
        if (capture != null && (capture.Tokens != tokens || capture.Width != d || capture.Heads != Heads))
            throw new ArgumentException($"capture is for {capture.Tokens} tokens × {capture.Width} × {capture.Heads} heads, call has {tokens} × {d} × {Heads}", nameof(capture));
        using var qkvBuffer = new Scratch(capture == null ? tokens * 3 * d : 0);
        using var contextBuffer = new Scratch(capture?.ContextArray == null ? tokens * d : 0);
        float[] qkv = capture?.QkvArray ?? qkvBuffer.Array;
        float[] context = capture?.ContextArray ?? contextBuffer.Array;
        float[]? probabilities = capture?.ProbabilityArray;
        using (OpProfile.Time(OpKind.QkvProjection, _qkv.MacsFor(tokens))) _qkv.Forward(x, tokens, qkv);
        // The keys of head h, rows of stride 3D, start at column D; the values at 2D.
        AttentionHeads.Run(qkv, 3 * d, qkv, d, 2 * d, 3 * d, tokens, tokens, d, Heads, context, causal, keyBias, probabilities);
        using var time = OpProfile.Time(OpKind.OutProjection, _proj.MacsFor(tokens));
        _proj.Forward(context.AsSpan(0, tokens * d), tokens, y);
    }

    /// <summary>
    /// y = Attn(x) for the <paramref name="tokens"/> newest rows of a causal sequence: their keys and values are appended
    /// to <paramref name="cache"/>, and each attends to every cached token up to itself. A token's output is the same,
    /// bit for bit, whether the tokens before it came in this call or in earlier ones.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, int tokens, Span<float> y, KeyValueCache cache)
    {
        int d = Width;
        if (cache.Width != d) throw new ArgumentException($"the cache is {cache.Width} wide; this attention is {d}", nameof(cache));
        using var qkv = new Scratch(tokens * 3 * d);
        using var context = new Scratch(tokens * d);
        using (OpProfile.Time(OpKind.QkvProjection, _qkv.MacsFor(tokens))) _qkv.Forward(x, tokens, qkv.Span);
        using (OpProfile.Time(OpKind.KeyValueCache)) cache.Append(qkv.Span, tokens);
        AttentionHeads.Run(qkv.Array, 3 * d, [], 0, 0, 0, tokens, cache.Count, d, Heads, context.Array, causal: true, keyBias: null, probabilities: null,
            packed: cache.Packed);
        using var time = OpProfile.Time(OpKind.OutProjection, _proj.MacsFor(tokens));
        _proj.Forward(context.Span, tokens, y);
    }

    /// <summary>Multiply-adds for <paramref name="tokens"/> tokens (projections and both attention products).</summary>
    public long MacsFor(int tokens) => _qkv.MacsFor(tokens) + _proj.MacsFor(tokens) + 2L * tokens * tokens * Width;
}
