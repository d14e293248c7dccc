namespace Sieve.Tests.Reference;

/// <summary>
/// CrossGET (§2) in float64: complete-graph soft matching on normalised full keys with the rank mask,
/// σ = m̃ − I, importance I_i = q̂_g·k̂_i from the guide (training-free: class token / end-of-text; with
/// offsets: an appended cross token, moved by p_l before every block, guides the image tower; on a fusion
/// stream each modality is guided by the other's class token), and the ensemble Σ s e^I x / Σ s e^I.
/// </summary>
public sealed class CrossGet64(int r, double[]? offsets = null) : IReducer64
{
    public void Begin(Tokens64 t)
    {
        if (offsets == null) return;
        t.AppendCross(t.Guide);
        if (t.Image[t.Guide]) t.Guide = t.Cross;
    }

    public void BeforeLayer(int layer, Tokens64 t)
    {
        if (offsets == null) return;
        for (int c = 0; c < t.Width; c++) t.X[t.Cross][c] += offsets[layer * t.Width + c];
    }

    public void Reduce(int layer, Tokens64 t, Capture64 c, Margins margins)
    {
        int merge = Math.Min(r, t.Candidates / 2);
        if (merge == 0) return;
        int n = t.Count;
        var k = Enumerable.Range(0, n).Select(i => ReducedEncoder64.Normalize(c.Key(i))).ToArray();
        bool fusion = t.Image.Distinct().Count() == 2;
        int FirstProtected(bool image) => Enumerable.Range(0, n).First(i => t.Protected[i] && t.Image[i] == image);
        var importance = Enumerable.Range(0, n).Select(i =>
        {
            int guide = fusion ? FirstProtected(!t.Image[i]) : t.Guide;
            return ReducedEncoder64.Dot(ReducedEncoder64.Normalize(c.Query(guide)), k[i]);
        }).ToArray();

        var candidates = Enumerable.Range(0, n).Where(i => !t.Protected[i]).ToArray();
        double S(int i, int j) => i != j && t.Image[i] == t.Image[j] ? ReducedEncoder64.Dot(k[i], k[j]) : double.NegativeInfinity;
        var best = candidates.ToDictionary(i => i, i => candidates.Max(j => S(i, j)));
        var nearest = candidates.ToDictionary(i => i, i => candidates.OrderByDescending(j => S(i, j)).First());
        var rank = candidates.OrderByDescending(i => best[i]).ThenBy(i => i).ToArray();
        for (int p = 0; p + 1 < rank.Length; p++)
            if (!(nearest[rank[p]] == rank[p + 1] && nearest[rank[p + 1]] == rank[p])) // a mutual pair ties exactly: lower index first
                margins.Gap(best[rank[p]], best[rank[p + 1]]);
        var sigma = new Dictionary<int, double>();
        for (int p = 0; p < rank.Length; p++)
            sigma[rank[p]] = rank.Skip(p + 1).Select(j => S(rank[p], j)).DefaultIfEmpty(double.NegativeInfinity).Max() - importance[rank[p]];

        var bySigma = candidates.Where(i => double.IsFinite(sigma[i])).OrderByDescending(i => sigma[i]).ThenBy(i => i).ToArray();
        var sources = bySigma.Take(merge).ToHashSet();
        if (merge < bySigma.Length) margins.Gap(sigma[bySigma[merge - 1]], sigma[bySigma[merge]]);
        var destinations = candidates.Where(j => !sources.Contains(j)).ToArray();
        var target = Enumerable.Range(0, n).ToArray();
        foreach (int i in sources)
        {
            var ranked = destinations.Where(j => t.Image[j] == t.Image[i]).OrderByDescending(j => S(i, j)).ToArray();
            target[i] = ranked[0];
            if (ranked.Length > 1) margins.Gap(S(i, ranked[0]), S(i, ranked[1]));
        }
        t.Merge(target, null, Enumerable.Range(0, n).Select(i => t.Size[i] * Math.Exp(importance[i])).ToArray());
    }
}
