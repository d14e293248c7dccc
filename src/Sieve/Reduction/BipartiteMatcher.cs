using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Reduction;

/// <summary>What one bipartite step decided: per-token targets and the order of the tokens after it.</summary>
/// <param name="Target">Per-token target for <see cref="MergePlan.FromTargets"/> (i keeps i; a source names its partner).</param>
/// <param name="Order">The surviving tokens in their new order (<see cref="BipartiteMatcher.Match"/>).</param>
internal sealed record BipartiteMerge(int[] Target, int[] Order);

/// <summary>
/// ToMe's bipartite soft matching (ALGORITHMS.md §1), pairing tokens as the reference implementation does:
/// each slice (merge group, protected tokens included) splits by position parity, A = even positions,
/// B = odd; each unprotected a ∈ A picks its most similar unprotected b ∈ B; the r best-matched a merge
/// into their partners; each slice's survivors are then reordered as <c>torch.cat([unm, dst])</c>:
/// the unmerged tokens of A, then all of B.
/// </summary>
internal static class BipartiteMatcher
{
    /// <summary>Plans merging <paramref name="r"/> tokens.</summary>
    /// <param name="metric">Normalised metric rows [N, width].</param>
    /// <param name="width">Metric width.</param>
    /// <param name="slices">
    /// The merge groups, each its tokens in sequence order with its protected tokens included (they keep
    /// their position for the parity split but are never a source or a destination); pairs form only within
    /// a slice. The new order lists the slices one after another.
    /// </param>
    /// <param name="isProtected">Per token [N], whether it is protected.</param>
    /// <param name="r">Tokens to merge; at most ⌊unprotected / 2⌋.</param>
    public static BipartiteMerge Match(ReadOnlySpan<float> metric, int width, IReadOnlyList<int[]> slices, ReadOnlySpan<bool> isProtected, int r)
    {
        int n = isProtected.Length;
        var target = Enumerable.Range(0, n).ToArray();
        var locked = isProtected.ToArray();
        int candidates = slices.Sum(s => s.Count(i => !locked[i]));
        if (r > candidates / 2) throw new ArgumentOutOfRangeException(nameof(r), r, $"cannot merge {r} of {candidates} candidates bipartitely");
        if (r == 0) return new BipartiteMerge(target, slices.SelectMany(s => s).ToArray());

        var partner = new int[n];
        var score = new float[n];
        var sources = new List<int>();
        foreach (var slice in slices)
        {
            int[] a = slice.Where((_, p) => p % 2 == 0).ToArray(), b = slice.Where((_, p) => p % 2 == 1).ToArray();
            using var cosBuffer = new Scratch(a.Length * b.Length);
            var cos = cosBuffer.Span;
            KeyMetric.Dots(Gather(metric, width, a), Gather(metric, width, b), width, cos);
            for (int p = 0; p < a.Length; p++)
            {
                if (locked[a[p]]) continue;
                var row = cos.Slice(p * b.Length, b.Length);
                int best = -1;
                for (int q = 0; q < row.Length; q++)
                    if (!locked[b[q]] && (best < 0 || row[q] > row[best])) best = q; // strict: equal cosines keep the earlier b
                if (best < 0) continue;
                partner[a[p]] = b[best];
                score[a[p]] = row[best];
                sources.Add(a[p]);
            }
        }
        foreach (int source in Ranking.Descending(sources, score).Take(r)) target[source] = partner[source];
        var order = slices.SelectMany(s => s.Where((i, p) => p % 2 == 0 && target[i] == i).Concat(s.Where((_, p) => p % 2 == 1))).ToArray();
        return new BipartiteMerge(target, order);
    }

    static float[] Gather(ReadOnlySpan<float> metric, int width, int[] rows)
    {
        var g = new float[rows.Length * width];
        for (int i = 0; i < rows.Length; i++) metric.Slice(rows[i] * width, width).CopyTo(g.AsSpan(i * width));
        return g;
    }
}
