using System.Numerics.Tensors;
using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Reduction;

/// <summary>
/// CrossGET (ALGORITHMS.md §2): complete-graph soft matching on full-width keys, cross guidance
/// I_i = q̂_g·k̂_i from the guide token's query, and the convex cross-guided ensemble
/// x_j = Σ s_i e^{I_i} x_i / Σ s_i e^{I_i}. Training-free the guide is the class token (image) or
/// end-of-text (text) and no token is added; with fitted offsets a cross token is appended, moved by
/// p_l before every block, and guides the image tower. In a fusion model's single stream (ViLT) tokens
/// merge only within their modality, each guided by the other modality's class token.
/// </summary>
internal sealed class CrossGetReducer : TokenReducer
{
    readonly float[]? _offsets;

    /// <param name="tower">The tower it runs in.</param>
    /// <param name="schedule">Tokens merged per block.</param>
    /// <param name="offsets">Null (training-free), or fitted cross-token offsets [layers, width].</param>
    /// <param name="proportionalAttention">Add log(size) to key logits once sizes differ.</param>
    public CrossGetReducer(TowerInfo tower, MergeSchedule schedule, float[]? offsets = null, bool proportionalAttention = true)
        : base(tower, proportionalAttention)
    {
        schedule.Validate(tower.Layers, tower.Name);
        if (offsets != null && offsets.Length != tower.Layers * tower.Width)
            throw new ArgumentException($"cross-token offsets for the {tower.Name} tower have {offsets.Length} values, expected {tower.Layers}×{tower.Width}", nameof(offsets));
        if (offsets != null && tower.Modality == Modality.Multimodal)
            throw new ArgumentException($"cross-token offsets are for towers that never see the other modality; the {tower.Name} tower is guided by it directly, training-free", nameof(offsets));
        Schedule = schedule;
        _offsets = offsets;
    }

    /// <summary>Tokens merged per block.</summary>
    public MergeSchedule Schedule { get; }

    /// <summary>Whether fitted offsets are loaded (and a cross token is added).</summary>
    public bool HasCrossToken => _offsets != null;

    /// <inheritdoc />
    public override void Begin(TokenSet tokens)
    {
        if (_offsets == null) return;
        // The cross token starts as a copy of the guide (class token with its position embedding).
        int cross = tokens.AppendCrossToken(tokens.Guide);
        if (tokens.Modality == Modality.Image) tokens.Guide = cross;
    }

    /// <inheritdoc />
    public override void BeforeBlock(int layer, TokenSet tokens)
    {
        if (_offsets == null) return;
        var row = tokens.Row(tokens.CrossToken);
        TensorPrimitives.Add(row, _offsets.AsSpan(layer * Tower.Width, Tower.Width), row);
    }

    /// <inheritdoc />
    public override long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention)
    {
        int r = Schedule.For(layer, Tower.Layers, tokens.Candidates);
        if (r == 0) return 0;
        int n = tokens.Count, d = attention.Width;
        using var keys = new Scratch(n * d);
        KeyMetric.NormalizedKeys(attention, headMean: false, keys.Span);
        var importance = Importance(tokens, keys.Span, attention);
        var target = CompleteGraphMatcher.Match(keys.Span, d, tokens.MergeGroups(), importance, r);
        var weight = new float[n];
        for (int i = 0; i < n; i++) weight[i] = tokens.Sizes[i] * MathF.Exp(importance[i]);
        tokens.Apply(MergePlan.FromTargets(target, weight));
        // Similarity table, guide importance, weighted averages.
        return (long)n * n * d + 2L * n * d;
    }

    /// <summary>
    /// I_i = q̂_g · k̂_i, the cosine of a guide's query with every key; zeros without a guide. In a fusion
    /// stream each modality is guided by the other's class token (§2b, training-free cross guidance):
    /// image tokens by the text class token, text tokens by the image class token.
    /// </summary>
    static float[] Importance(TokenSet tokens, ReadOnlySpan<float> normalizedKeys, AttentionCapture attention)
    {
        int n = attention.Tokens, d = attention.Width;
        var importance = new float[n];
        bool fusion = tokens.Modality == Modality.Multimodal;
        float[]? imageGuide = GuideQuery(fusion ? tokens.ClassToken(Modality.Text) : tokens.Guide, attention);
        float[]? textGuide = fusion ? GuideQuery(tokens.ClassToken(Modality.Image), attention) : imageGuide;
        for (int i = 0; i < n; i++)
            if ((tokens.Modalities[i] == Modality.Image ? imageGuide : textGuide) is { } query)
                importance[i] = TensorPrimitives.Dot(query, normalizedKeys.Slice(i * d, d));
        return importance;
    }

    static float[]? GuideQuery(int guide, AttentionCapture attention)
    {
        if (guide < 0) return null;
        var query = attention.Query(guide).ToArray();
        KeyMetric.Normalize(query);
        return query;
    }
}
