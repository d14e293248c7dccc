namespace Sieve.Eval;

/// <summary>
/// Corpus BLEU-4 (Papineni et al., 2002): each candidate n-gram counts at most as often as it appears in any one of its
/// references (clipping); counts are summed over the corpus before the precisions are taken; the brevity penalty compares
/// the corpus's candidate length with the sum of each candidate's closest reference length, as coco-caption does.
/// </summary>
internal static class Bleu
{
    const int MaxOrder = 4;

    /// <summary>BLEU-4 of tokenized candidates, each against its tokenized references.</summary>
    public static BleuScore Score(IReadOnlyList<IReadOnlyList<string>> candidates, IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references)
    {
        var (matched, total) = (new long[MaxOrder], new long[MaxOrder]);
        int c = 0, r = 0;
        for (int i = 0; i < candidates.Count; i++)
        {
            var candidate = candidates[i];
            c += candidate.Count;
            // The closest reference length; ties go to the shorter.
            r += references[i].Select(x => x.Count).MinBy(length => (Math.Abs(length - candidate.Count), length));
            for (int n = 1; n <= MaxOrder; n++)
            {
                var maxInReference = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var reference in references[i])
                    foreach (var (gram, count) in NGrams.Count(reference, n))
                        maxInReference[gram] = Math.Max(maxInReference.GetValueOrDefault(gram), count);
                foreach (var (gram, count) in NGrams.Count(candidate, n))
                {
                    matched[n - 1] += Math.Min(count, maxInReference.GetValueOrDefault(gram));
                    total[n - 1] += count;
                }
            }
        }
        var precisions = Enumerable.Range(0, MaxOrder).Select(n => total[n] == 0 ? 0 : (double)matched[n] / total[n]).ToArray();
        double penalty = c > r ? 1 : c == 0 ? 0 : Math.Exp(1 - (double)r / c);
        double bleu = precisions.Any(p => p == 0) ? 0 : penalty * Math.Exp(precisions.Average(Math.Log));
        return new BleuScore(bleu, precisions, penalty, c, r);
    }
}
