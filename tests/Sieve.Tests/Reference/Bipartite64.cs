namespace Sieve.Tests.Reference;

/// <summary>
/// ALGORITHMS.md §1 steps 2–6 in float64: per slice, A = even positions and B = odd (protected tokens keep
/// their position but never merge), each a's best b by cosine, the r best-scored a merge, and each slice's
/// survivors reorder as [unmerged A, all of B]. Records every decision's margin.
/// </summary>
public static class Bipartite64
{
    public static (int[] Target, List<int> Order) Match(Tokens64 t, double[][] metric, List<int[]> slices, int r, Margins margins)
    {
        var target = Enumerable.Range(0, t.Count).ToArray();
        if (r == 0) return (target, slices.SelectMany(s => s).ToList());
        var scored = new List<(int A, int B, double Score, double Runner)>();
        foreach (var slice in slices)
        {
            var a = slice.Where((_, p) => p % 2 == 0).Where(i => !t.Protected[i]);
            var b = slice.Where((_, p) => p % 2 == 1).Where(j => !t.Protected[j]).ToArray();
            foreach (int i in a)
            {
                var ranked = b.Select(j => (J: j, Cos: ReducedEncoder64.Dot(metric[i], metric[j]))).OrderByDescending(e => e.Cos).ToArray();
                if (ranked.Length > 0) scored.Add((i, ranked[0].J, ranked[0].Cos, ranked.Length > 1 ? ranked[1].Cos : double.NegativeInfinity));
            }
        }
        var order = scored.OrderByDescending(e => e.Score).ThenBy(e => e.A).ToArray();
        for (int s = 0; s < r; s++)
        {
            target[order[s].A] = order[s].B;
            margins.Gap(order[s].Score, order[s].Runner);
        }
        if (r > 0 && r < order.Length) margins.Gap(order[r - 1].Score, order[r].Score);
        var next = new List<int>();
        foreach (var slice in slices)
        {
            next.AddRange(slice.Where((i, p) => p % 2 == 0 && target[i] == i));
            next.AddRange(slice.Where((_, p) => p % 2 == 1));
        }
        return (target, next);
    }

    /// <summary>ToMe's metric: per token, the mean over heads of its per-head key, normalised.</summary>
    public static double[][] HeadMeanKeys(Capture64 c)
    {
        int dh = c.D / c.H;
        return Enumerable.Range(0, c.N).Select(i =>
        {
            var k = c.Key(i);
            return ReducedEncoder64.Normalize(Enumerable.Range(0, dh).Select(e => Enumerable.Range(0, c.H).Sum(h => k[h * dh + e]) / c.H).ToArray());
        }).ToArray();
    }
}

/// <summary>ToMe (§1) in float64: constant r, capped at ⌊candidates / 2⌋; the order is kept in a causal tower.</summary>
public sealed class ToMe64(int r, bool causal = false) : IReducer64
{
    public void Reduce(int layer, Tokens64 t, Capture64 c, Margins margins)
    {
        int merge = Math.Min(r, t.Candidates / 2);
        if (merge == 0) return;
        var (target, order) = Bipartite64.Match(t, Bipartite64.HeadMeanKeys(c), t.Slices(), merge, margins);
        t.Merge(target, causal ? null : order, t.Size.ToArray());
    }
}
