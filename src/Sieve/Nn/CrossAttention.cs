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
        if (context.Width != ContextWidth)
            throw new ArgumentException($"the context is {context.Width} wide; this cross-attention reads {ContextWidth}", nameof(context));
        int d = Width, m = context.Count;
        using var queries = new Tensors.Scratch(tokens * d);
        using var keyValues = new Tensors.Scratch(m * 2 * d);
        using var heads = new Tensors.Scratch(tokens * d);
        _query.Forward(x, tokens, queries.Span);
        _keyValue.Forward(context.Features, m, keyValues.Span);
        AttentionHeads.Run(queries.Array, d, keyValues.Array, 0, d, 2 * d, tokens, m, d, Heads, heads.Array, causal: false, context.LogSizes, probabilities: null);
        _proj.Forward(heads.Span, tokens, y);
    }

    /// <summary>Multiply-adds for <paramref name="tokens"/> queries over <paramref name="contextTokens"/> context tokens.</summary>
    public long MacsFor(int tokens, int contextTokens) =>
        _query.MacsFor(tokens) + _keyValue.MacsFor(contextTokens) + _proj.MacsFor(tokens) + 2L * tokens * contextTokens * Width;
}
