namespace Sieve.Nn;

/// <summary>
/// Multi-head attention from a sequence to another one (BERT's <c>crossattention</c>: text queries, image keys and
/// values): queries from the sequence (D → D), keys and values from the context (D_c → D each, fused here as [k; v]
/// rows), then the output projection. A context whose tokens were merged is attended in proportion to their sizes.
/// </summary>
internal sealed class CrossAttention
{
    readonly Linear _query, _keyValue, _proj;

    /// <summary>Width D of the attending sequence.</summary>
    public int Width { get; }

    /// <summary>Width D_c of the context.</summary>
    public int ContextWidth => _keyValue.In;

    /// <summary>Number of heads; head width is D / heads.</summary>
    public int Heads { get; }

    /// <param name="query">D → D.</param>
    /// <param name="keyValue">D_c → 2D, output rows ordered k, v.</param>
    /// <param name="proj">D → D output projection.</param>
    /// <param name="heads">Head count; must divide D.</param>
    public CrossAttention(Linear query, Linear keyValue, Linear proj, int heads)
    {
        int d = query.In;
        if (query.Out != d || keyValue.Out != 2 * d || proj.In != d || proj.Out != d)
            throw new ArgumentException($"cross-attention projections do not fit width {d}: query {query.In}→{query.Out}, key/value {keyValue.In}→{keyValue.Out}, proj {proj.In}→{proj.Out}");
        if (heads <= 0 || d % heads != 0)
            throw new ArgumentException($"{heads} heads do not divide width {d}", nameof(heads));
        (_query, _keyValue, _proj, Width, Heads) = (query, keyValue, proj, d, heads);
    }

    /// <summary>y = CrossAttn(x, context) for <paramref name="tokens"/> rows of <paramref name="x"/>.</summary>
    /// <param name="x">The attending sequence, [tokens, D].</param>
    /// <param name="tokens">Its length.</param>
    /// <param name="context">What it attends to.</param>
    /// <param name="y">Output, [tokens, D]; overwritten.</param>
    public void Forward(ReadOnlySpan<float> x, int tokens, TokenContext context, Span<float> y)
    {
        using var keyValues = Project(context, forDecoding: false);
        Forward(x, tokens, keyValues, y);
    }

    /// <summary>The context's keys and values, to attend to with <see cref="Forward(ReadOnlySpan{float}, int, ContextKeyValues, Span{float})"/> as often as needed.</summary>
    /// <param name="context">The tokens attended to.</param>
    /// <param name="forDecoding">Whether many steps will attend to it: then each head's keys and values are packed once here.</param>
    public ContextKeyValues Project(TokenContext context, bool forDecoding)
    {
        if (context.Width != ContextWidth)
            throw new ArgumentException($"the context is {context.Width} wide; this cross-attention reads {ContextWidth}", nameof(context));
        var rows = new Tensors.Scratch(context.Count * 2 * Width);
        using (Tensors.OpProfile.Time(Tensors.OpKind.QkvProjection, _keyValue.MacsFor(context.Count))) _keyValue.Forward(context.Features, context.Count, rows.Span);
        return new ContextKeyValues(rows, context.Count, context.LogSizes, Width, Heads, pack: forDecoding);
    }

    /// <summary>y = CrossAttn(x, context) over a context's projected keys and values (from this cross-attention's <see cref="Project"/>).</summary>
    public void Forward(ReadOnlySpan<float> x, int tokens, ContextKeyValues context, Span<float> y)
    {
        int d = Width;
        using var queries = new Tensors.Scratch(tokens * d);
        using var heads = new Tensors.Scratch(tokens * d);
        using (Tensors.OpProfile.Time(Tensors.OpKind.QkvProjection, _query.MacsFor(tokens))) _query.Forward(x, tokens, queries.Span);
        AttentionHeads.Run(queries.Array, d, context.Rows, 0, d, 2 * d, tokens, context.Count, d, Heads, heads.Array, causal: false, context.LogSizes, probabilities: null,
            packed: context.Packed);
        using var time = Tensors.OpProfile.Time(Tensors.OpKind.OutProjection, _proj.MacsFor(tokens));
        _proj.Forward(heads.Span, tokens, y);
    }

    /// <summary>Multiply-adds for <paramref name="tokens"/> queries over <paramref name="contextTokens"/> context tokens.</summary>
    public long MacsFor(int tokens, int contextTokens) =>
        _query.MacsFor(tokens) + _keyValue.MacsFor(contextTokens) + _proj.MacsFor(tokens) + 2L * tokens * contextTokens * Width;
}
