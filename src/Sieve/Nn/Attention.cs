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

    [ThreadStatic] static PackedMatrix? _keys, _values;

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
        int d = Width, dh = d / Heads;
        if (keyBias != null && keyBias.Length < tokens) throw new ArgumentException($"key bias has {keyBias.Length} values for {tokens} tokens", nameof(keyBias));
        if (capture != null && (capture.Tokens != tokens || capture.Width != d || capture.Heads != Heads))
            throw new ArgumentException($"capture is for {capture.Tokens} tokens × {capture.Width} × {capture.Heads} heads, call has {tokens} × {d} × {Heads}", nameof(capture));
        using var qkvBuffer = new Scratch(capture == null ? tokens * 3 * d : 0);
        using var contextBuffer = new Scratch(capture?.ContextArray == null ? tokens * d : 0);
        float[] qkv = capture?.QkvArray ?? qkvBuffer.Array;
        float[] context = capture?.ContextArray ?? contextBuffer.Array;
        float[]? probabilities = capture?.ProbabilityArray;
        _qkv.Forward(x, tokens, qkv);
        float scale = 1f / MathF.Sqrt(dh);

        Threading.For(Heads, h =>
        {
            // One pair per thread, reused: fresh panels per head and block would be megabytes of garbage per image.
            var keys = _keys ??= new PackedMatrix();
            var values = _values ??= new PackedMatrix();
            using var scoresBuffer = new Scratch(tokens * tokens);
            var scores = scoresBuffer.Span;
            // scores = q_h · k_hᵀ: the keys of head h, rows of stride 3D, are B's output rows.
            keys.PackOutputRows(qkv.AsSpan(d + h * dh), tokens, dh, 3 * d);
            Gemm.Multiply(qkv.AsSpan(h * dh), 3 * d, tokens, keys, scores, tokens, parallel: false);
            for (int i = 0; i < tokens; i++)
            {
                var row = scores.Slice(i * tokens, tokens);
                int visible = causal ? i + 1 : tokens;
                TensorPrimitives.Multiply(row[..visible], scale, row[..visible]);
                if (keyBias != null) TensorPrimitives.Add(row[..visible], keyBias.AsSpan(0, visible), row[..visible]);
                Softmax.InPlace(row[..visible]);
                row[visible..].Clear();
            }
            if (probabilities != null) scores.CopyTo(probabilities.AsSpan(h * tokens * tokens, tokens * tokens));
            values.PackInputRows(qkv.AsSpan(2 * d + h * dh), tokens, dh, 3 * d);
            Gemm.Multiply(scores, tokens, tokens, values, context.AsSpan(h * dh), d, parallel: false);
        });
        _proj.Forward(context.AsSpan(0, tokens * d), tokens, y);
    }

    /// <summary>Multiply-adds for <paramref name="tokens"/> tokens (projections and both attention products).</summary>
    public long MacsFor(int tokens) => _qkv.MacsFor(tokens) + _proj.MacsFor(tokens) + 2L * tokens * tokens * Width;
}
