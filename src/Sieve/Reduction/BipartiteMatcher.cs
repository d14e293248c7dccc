using Sieve.Tensors;

namespace Sieve.Reduction;

/// <summary>
/// ToMe's bipartite soft matching (ALGORITHMS.md §1): candidates split alternately into A and B, each
/// a ∈ A picks its most similar b ∈ B of its own merge group, and the r best-matched a merge into
/// their partners.
/// </summary>
public static class BipartiteMatcher
{
    /// <summary>Plans merging <paramref name="r"/> tokens; returns per-token targets for <see cref="MergePlan.FromTargets"/>.</summary>
    /// <param name="metric">Normalised metric rows [N, width].</param>
    /// <param name="width">Metric width.</param>
    /// <param name="group">Per token, its merge group (<see cref="TokenSet.MergeGroups"/>); −1 takes no part.</param>
    /// <param name="r">Tokens to merge; at most ⌊candidates / 2⌋ (fewer when groups leave some a without a partner).</param>
    public static int[] Match(ReadOnlySpan<float> metric, int width, ReadOnlySpan<int> group, int r)
    {
        int n = group.Length;
        var target = Enumerable.Range(0, n).ToArray();
        var candidates = Ranking.Candidates(group);
        if (r > candidates.Length / 2) throw new ArgumentOutOfRangeException(nameof(r), r, $"cannot merge {r} of {candidates.Length} candidates bipartitely");
        if (r == 0) return target;
        int[] a = candidates.Where((_, p) => p % 2 == 0).ToArray(), b = candidates.Where((_, p) => p % 2 == 1).ToArray();
        using var cosBuffer = new Scratch(a.Length * b.Length);
        var cos = cosBuffer.Span;
        KeyMetric.Dots(Gather(metric, width, a), Gather(metric, width, b), width, cos);

        var partner = new int[n];
        var score = new float[n];
        for (int p = 0; p < a.Length; p++)
        {
            var row = cos.Slice(p * b.Length, b.Length);
            int best = -1;
            for (int q = 0; q < row.Length; q++)
                if (group[b[q]] == group[a[p]] && (best < 0 || row[q] > row[best])) best = q; // strict: equal cosines keep the lower index
            partner[a[p]] = best < 0 ? -1 : b[best];
            score[a[p]] = best < 0 ? float.NegativeInfinity : row[best];
        }
        foreach (int source in Ranking.Descending(a.Where(i => partner[i] >= 0), score).Take(r)) target[source] = partner[source];
        return target;
    }

    static float[] Gather(ReadOnlySpan<float> metric, int width, int[] rows)
    {
        var g = new float[rows.Length * width];
        for (int i = 0; i < rows.Length; i++) metric.Slice(rows[i] * width, width).CopyTo(g.AsSpan(i * width));
        return g;
    }
}
