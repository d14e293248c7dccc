namespace Sieve.Eval;

/// <summary>
/// How closely a reduced model's rankings follow the dense model's on the same queries: the share of queries whose
/// top-1 is the dense top-1, and the mean overlap of the top-10 lists.
/// </summary>
/// <param name="Queries">Queries compared.</param>
/// <param name="Top1Matches">Queries whose first candidate equals the dense model's.</param>
/// <param name="OverlapSum">Sum over queries of |top-10 ∩ dense top-10| ÷ the list length (sums, not means, so pooling adds them exactly).</param>
internal sealed record RankingAgreement(int Queries, int Top1Matches, double OverlapSum)
{
    /// <summary>List length compared by <see cref="OverlapAt10"/>.</summary>
    public const int ListLength = 10;

    /// <summary>Share of queries whose first candidate equals the dense model's, in [0, 1].</summary>
    public double Top1 => Top1Matches / (double)Queries;

    /// <summary>
    /// Mean over queries of |top-10 ∩ dense top-10| ÷ the list length, in [0, 1]. The length is min(10, candidates):
    /// with fewer than 10 candidates both lists hold them all and the overlap is 1 (K is clamped).
    /// </summary>
    public double OverlapAt10 => OverlapSum / Queries;

    /// <summary>Compares per-query top lists (best first, from <see cref="Ranking.Top"/> with k = <see cref="ListLength"/>).</summary>
    /// <param name="reduced">The reduced model's list per query.</param>
    /// <param name="dense">The dense model's list per query, same queries in the same order.</param>
    public static RankingAgreement Of(IReadOnlyList<int[]> reduced, IReadOnlyList<int[]> dense)
    {
        if (reduced.Count != dense.Count) throw new ArgumentException($"{reduced.Count} reduced queries but {dense.Count} dense", nameof(dense));
        if (reduced.Count == 0) throw new ArgumentException("no queries to compare", nameof(reduced));
        int top1 = 0;
        double overlap = 0;
        for (int q = 0; q < reduced.Count; q++)
        {
            var r = reduced[q].Take(ListLength).ToArray();
            var d = dense[q].Take(ListLength).ToArray();
            if (r.Length != d.Length || r.Length == 0)
                throw new ArgumentException($"query {q}: {r.Length} reduced candidates but {d.Length} dense (need the same, at least 1)", nameof(dense));
            if (r[0] == d[0]) top1++;
            overlap += r.Intersect(d).Count() / (double)r.Length;
        }
        return new RankingAgreement(reduced.Count, top1, overlap);
    }

    /// <summary>Both sets of queries as one (each query weighs the same): image→text and text→image together.</summary>
    public static RankingAgreement Pooled(RankingAgreement a, RankingAgreement b) =>
        new(a.Queries + b.Queries, a.Top1Matches + b.Top1Matches, a.OverlapSum + b.OverlapSum);
}
