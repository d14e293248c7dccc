namespace Sieve.Tests.Reference;

/// <summary>
/// PuMer (§4) in float64: in its layers, prune round(p·V) image tokens with the least text attention
/// (mean over text queries and heads), keeping the rest in torch.topk order (by score); then ToMe's
/// bipartite merge within [image class token, kept image tokens] (r = round(m_i·V)) and within the text
/// (r = round(m_t·T)), both capped; V and T counted before pruning; rounding half to even.
/// </summary>
public sealed class Pumer64(int[] layers, double p, double mi, double mt) : IReducer64
{
    public void Reduce(int layer, Tokens64 t, Capture64 c, Margins margins)
    {
        if (!layers.Contains(layer)) return;
        int n = t.Count, images = t.Image.Count(i => i), texts = n - images;
        var candidates = Enumerable.Range(0, n).Where(i => t.Image[i] && !t.Protected[i]).ToArray();
        var textQueries = Enumerable.Range(0, n).Where(i => !t.Image[i]).ToArray();
        int prune = texts == 0 ? 0 : Math.Min(Round(p * images), candidates.Length);
        var target = Enumerable.Range(0, n).ToArray();
        var slices = t.Slices();
        if (prune > 0)
        {
            var score = candidates.ToDictionary(j => j, j => textQueries.Sum(i => Enumerable.Range(0, c.H).Sum(h => c.P[(h * n + i) * n + j])) / (c.H * texts));
            var ranked = candidates.OrderByDescending(j => score[j]).ThenBy(j => j).ToArray();
            for (int e = 0; e + 1 < ranked.Length && e < ranked.Length - prune; e++) margins.Gap(score[ranked[e]], score[ranked[e + 1]]);
            foreach (int j in ranked[^prune..]) target[j] = Tokens64.Dropped;
            int image = slices.FindIndex(s => t.Image[s[0]]);
            slices[image] = slices[image].Where(i => t.Protected[i]).Concat(ranked[..^prune]).ToArray();
        }
        var metric = Bipartite64.HeadMeanKeys(c);
        var order = new List<int>();
        bool merged = false;
        foreach (var slice in slices)
        {
            bool image = t.Image[slice[0]];
            int members = slice.Count(i => !t.Protected[i]);
            int r = Math.Min(Round((image ? mi : mt) * (image ? images : texts)), members / 2);
            var (merge, next) = Bipartite64.Match(t, metric, [slice], r, margins);
            for (int i = 0; i < n; i++)
                if (merge[i] != i) target[i] = merge[i];
            order.AddRange(next);
            merged |= r > 0;
        }
        if (prune > 0 || merged) t.Merge(target, order, t.Size.ToArray());
    }

    static int Round(double x) => (int)Math.Round(x, MidpointRounding.ToEven);
}
