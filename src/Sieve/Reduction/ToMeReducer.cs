using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Reduction;

/// <summary>
/// ToMe (ALGORITHMS.md §1): bipartite soft matching on head-mean keys, size-weighted merge; the survivors
/// take the reference's order (unmerged A, then B) so the next block splits them as it would.
/// </summary>
internal sealed class ToMeReducer : TokenReducer
{
    /// <param name="tower">The tower it runs in.</param>
    /// <param name="schedule">Tokens merged per block.</param>
    /// <param name="proportionalAttention">Add log(size) to key logits once sizes differ.</param>
    public ToMeReducer(TowerInfo tower, MergeSchedule schedule, bool proportionalAttention = true) : base(tower, proportionalAttention)
    {
        schedule.Validate(tower.Layers, tower.Name);
        Schedule = schedule;
    }

    /// <summary>Tokens merged per block.</summary>
    public MergeSchedule Schedule { get; }

    /// <inheritdoc />
    public override long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention)
    {
        int candidates = tokens.Candidates;
        int r = Schedule.For(layer, Tower.Layers, candidates);
        if (r == 0) return 0;
        int n = tokens.Count, dh = tokens.Width / attention.Heads;
        using var metric = new Scratch(n * dh);
        KeyMetric.NormalizedKeys(attention, headMean: true, metric.Span);
        var merge = BipartiteMatcher.Match(metric.Span, dh, tokens.ModalitySlices(), tokens.Protected, r);
        // The reference's reordering (§1 step 6), except in a causal tower, whose mask depends on the order.
        tokens.Apply(MergePlan.FromTargets(merge.Target, tokens.Sizes, Tower.Causal ? default : merge.Order));
        // Cosines between the halves, then the weighted averages.
        return (long)((candidates + 1) / 2) * (candidates / 2) * dh + (long)n * tokens.Width;
    }
}
