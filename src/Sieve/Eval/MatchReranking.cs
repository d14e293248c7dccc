using Sieve.Models;
using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Eval;

/// <summary>
/// BLIP's retrieval re-ranking (its evaluation's <c>k_test</c>): each query's <see cref="K"/> best candidates by
/// cosine are scored again by the matching head, as the matching logit plus the cosine, and ranked by that ahead of all
/// the others, which keep their cosine order. Each direction has its own shortlists; every image with a pair in either
/// is encoded once (with its tokens) and each of its pairs is one text forward cross-attending to them.
/// </summary>
/// <param name="K">Candidates re-scored per query, at least 1.</param>
internal sealed record MatchReranking(int K)
{
    /// <summary>Above any cosine: a re-scored pair ranks ahead of every pair that was not (logits are far below this).</summary>
    const double Rescored = 1e6;

    /// <summary>The re-ranked rankings, and the re-scoring's multiply-adds per image as executed (in billions).</summary>
    /// <param name="model">The model, reducers bound.</param>
    /// <param name="cosine">[images, texts] cosine similarities of the contrastive embeddings.</param>
    /// <param name="images">The images (preprocessed).</param>
    /// <param name="texts">The texts (token ids).</param>
    /// <param name="imageOfText">For each text, its image.</param>
    public (RetrievalRankings Rankings, double GMacs) Rank(IPairMatcher model, double[,] cosine, IReadOnlyList<TowerInput> images,
        IReadOnlyList<TowerInput> texts, IReadOnlyList<int> imageOfText) =>
        Rank(cosine, imageOfText, (i, chosen) =>
        {
            var trace = new ForwardTrace();
            var logits = model.MatchLogits(images[i], chosen.Select(t => texts[t]).ToArray(), trace);
            return (logits, trace.Macs);
        });

    /// <summary>
    /// The re-ranked rankings with <paramref name="match"/> scoring an image's chosen texts (their matching logits, and
    /// the multiply-adds it took), and those multiply-adds per image in billions.
    /// </summary>
    public (RetrievalRankings Rankings, double GMacs) Rank(double[,] cosine, IReadOnlyList<int> imageOfText, Func<int, int[], (float[] Logits, long Macs)> match)
    {
        int imageCount = cosine.GetLength(0), textCount = cosine.GetLength(1);
        var textsOf = new int[imageCount][];
        for (int i = 0; i < imageCount; i++) textsOf[i] = Ranking.Top(Row(cosine, i), K);
        var imagesOf = new int[textCount][];
        for (int t = 0; t < textCount; t++) imagesOf[t] = Ranking.Top(Column(cosine, t), K);

        // The pairs to score, by image: its shortlisted texts and the texts that shortlisted it.
        var pairs = Enumerable.Range(0, imageCount).Select(i => new SortedSet<int>(textsOf[i])).ToArray();
        for (int t = 0; t < textCount; t++)
            foreach (int i in imagesOf[t]) pairs[i].Add(t);
        var logits = new Dictionary<int, float>[imageCount];
        var macs = new long[imageCount];
        Threading.ForEachSample(imageCount, i =>
        {
            int[] chosen = [.. pairs[i]];
            var (scores, cost) = match(i, chosen);
            logits[i] = chosen.Select((t, j) => (t, scores[j])).ToDictionary(p => p.t, p => p.Item2);
            macs[i] = cost;
        });

        var imageToText = Scores(cosine, (i, t) => textsOf[i].Contains(t), logits);
        var textToImage = Scores(cosine, (i, t) => imagesOf[t].Contains(i), logits);
        var rankings = RetrievalRankings.Join(RetrievalRankings.Rank(imageToText, imageOfText), RetrievalRankings.Rank(textToImage, imageOfText));
        return (rankings, macs.Sum() / (double)imageCount / 1e9);
    }

    /// <summary>One direction's scores: logit + cosine + <see cref="Rescored"/> for its shortlisted pairs, the cosine elsewhere.</summary>
    static double[,] Scores(double[,] cosine, Func<int, int, bool> shortlisted, Dictionary<int, float>[] logits)
    {
        var scores = (double[,])cosine.Clone();
        for (int i = 0; i < scores.GetLength(0); i++)
            for (int t = 0; t < scores.GetLength(1); t++)
                if (shortlisted(i, t)) scores[i, t] = Rescored + logits[i][t] + cosine[i, t];
        return scores;
    }

    static double[] Row(double[,] m, int i) => Enumerable.Range(0, m.GetLength(1)).Select(t => m[i, t]).ToArray();

    static double[] Column(double[,] m, int t) => Enumerable.Range(0, m.GetLength(0)).Select(i => m[i, t]).ToArray();
}
