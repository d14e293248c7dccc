namespace Sieve.Eval;

/// <summary>
/// CIDEr-D (Vedantam et al., 2015, as coco-caption's <c>CiderD</c> computes it). For n = 1..4, each sentence is a vector of
/// its n-grams weighted by TF-IDF: count × (log N − log max(1, df)), where N is the number of images and df the number of
/// images among whose references the n-gram appears. A candidate's score against one reference, per n, is
/// Σ min(g_c, g_r)·g_r / (‖g_c‖‖g_r‖) (the candidate's weights clipped at the reference's; 0 when either vector is
/// empty) times the length penalty exp(−(l_c − l_r)² / (2σ²)), σ = 6, with l the sentences' token counts; the image's
/// CIDEr-D is 10 × the mean over n and over its references.
/// </summary>
internal static class CiderD
{
    const int MaxOrder = 4;
    const double Sigma = 6;

    /// <summary>A sentence's TF-IDF vectors (one per order), their norms and its length.</summary>
    sealed record Vectors(Dictionary<string, double>[] Weights, double[] Norms, int Length);

    /// <summary>CIDEr-D of tokenized candidates, each against its tokenized references.</summary>
    public static CiderScore Score(IReadOnlyList<IReadOnlyList<string>> candidates, IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references)
    {
        // Document frequency: in how many images' reference sets each n-gram occurs.
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var set in references)
            foreach (string gram in set.SelectMany(r => Enumerable.Range(1, MaxOrder).SelectMany(n => NGrams.Count(r, n).Keys)).Distinct())
                documentFrequency[gram] = documentFrequency.GetValueOrDefault(gram) + 1;
        double logImages = Math.Log(references.Count);

        Vectors Vectorize(IReadOnlyList<string> tokens)
        {
            var weights = new Dictionary<string, double>[MaxOrder];
            var norms = new double[MaxOrder];
            for (int n = 1; n <= MaxOrder; n++)
            {
                weights[n - 1] = NGrams.Count(tokens, n).ToDictionary(
                    kv => kv.Key, kv => kv.Value * (logImages - Math.Log(Math.Max(1, documentFrequency.GetValueOrDefault(kv.Key)))), StringComparer.Ordinal);
                norms[n - 1] = Math.Sqrt(weights[n - 1].Values.Sum(w => w * w));
            }
            return new Vectors(weights, norms, tokens.Count);
        }

        var perImage = new double[candidates.Count];
        for (int i = 0; i < candidates.Count; i++)
        {
            var candidate = Vectorize(candidates[i]);
            double sum = 0;
            foreach (var reference in references[i].Select(Vectorize))
            {
                double delta = candidate.Length - reference.Length, penalty = Math.Exp(-delta * delta / (2 * Sigma * Sigma));
                for (int n = 0; n < MaxOrder; n++)
                {
                    if (candidate.Norms[n] == 0 || reference.Norms[n] == 0) continue;
                    double dot = candidate.Weights[n].Sum(kv => Math.Min(kv.Value, reference.Weights[n].GetValueOrDefault(kv.Key)) * reference.Weights[n].GetValueOrDefault(kv.Key));
                    sum += dot / (candidate.Norms[n] * reference.Norms[n]) * penalty;
                }
            }
            perImage[i] = 10 * sum / MaxOrder / references[i].Count;
        }
        return new CiderScore(perImage.Length == 0 ? 0 : perImage.Average(), perImage);
    }
}
