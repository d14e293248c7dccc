namespace Sieve.Models.Generation;

/// <summary>
/// Sampling as <c>transformers</c>' <c>do_sample</c> with the <c>temperature</c>, <c>top_k</c> and <c>top_p</c> warpers
/// in that order: scores ÷ temperature; with top-k only the k most likely tokens (and any tied with the k-th) stay;
/// softmax over them; then only the most likely whose probabilities before them add up to less than top-p are kept
/// (always at least one), renormalised, and one is drawn from a seeded generator.
/// </summary>
internal sealed class TokenSampler(GenerationOptions options)
{
    readonly Random _random = new(options.Seed);

    /// <summary>A token drawn from <paramref name="scores"/> (processed logits; −∞ for forbidden tokens).</summary>
    public int Next(double[] scores)
    {
        double max = scores.Max(), total = 0;
        var probabilities = new double[scores.Length];
        for (int v = 0; v < scores.Length; v++) total += probabilities[v] = Math.Exp((scores[v] - max) / options.Temperature);
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(v => probabilities[v]).ToArray();
        int candidates = order.Length;
        if (options.TopK > 0 && options.TopK < order.Length)
        {
            double kth = probabilities[order[options.TopK - 1]];
            for (candidates = options.TopK; candidates < order.Length && probabilities[order[candidates]] >= kth;) candidates++;
            total = 0;
            for (int i = 0; i < candidates; i++) total += probabilities[order[i]];
        }
        int kept = 0;
        double before = 0;
        while (kept < candidates && (kept == 0 || before < options.TopP))
            before += probabilities[order[kept++]] / total;
        double mass = 0;
        for (int i = 0; i < kept; i++) mass += probabilities[order[i]];
        double u = _random.NextDouble() * mass;
        for (int i = 0; i < kept; i++)
            if ((u -= probabilities[order[i]]) < 0) return order[i];
        return order[kept - 1];
    }
}
