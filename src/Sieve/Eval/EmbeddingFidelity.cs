using System.Runtime.InteropServices;

namespace Sieve.Eval;

/// <summary>
/// How faithful a reduced model's embeddings are to the dense model's on the same items, without labels: per item
/// the cosine between its two embeddings, and across the set the agreement of nearest-neighbour rankings (each
/// item's nearest other items by cosine among the reduced embeddings vs among the dense ones, ties to the lower index).
/// </summary>
/// <param name="Items">Items compared.</param>
/// <param name="MeanCosine">Mean over items of cos(reduced, dense).</param>
/// <param name="Percentile5Cosine">5th percentile of those cosines by nearest rank: the ⌈0.05·n⌉-th smallest
/// (the smallest for n ≤ 20, the 2nd for n = 21…40).</param>
/// <param name="WorstCosine">The smallest cosine.</param>
/// <param name="WorstItem">The item with the smallest cosine (the lower index on a tie).</param>
/// <param name="Neighbours">Each item as a query over the n − 1 others: top-1 agreement and overlap of the top 10.</param>
internal sealed record EmbeddingFidelity(int Items, double MeanCosine, double Percentile5Cosine, double WorstCosine, int WorstItem, RankingAgreement Neighbours)
{
    /// <summary>Compares the embeddings of the same items, in the same order (n × d each, n ≥ 2).</summary>
    /// <param name="reduced">Embeddings from the reduced model.</param>
    /// <param name="dense">Embeddings from the dense model.</param>
    public static EmbeddingFidelity Measure(IReadOnlyList<float[]> reduced, IReadOnlyList<float[]> dense)
    {
        int n = reduced.Count;
        if (dense.Count != n) throw new ArgumentException($"{n} reduced embeddings but {dense.Count} dense", nameof(dense));
        if (n < 2) throw new ArgumentException($"{n} item(s): nearest neighbours need at least 2", nameof(reduced));
        var cosines = new double[n];
        for (int i = 0; i < n; i++)
        {
            try { cosines[i] = CosineSimilarity.Of(reduced[i], dense[i]); }
            catch (ArgumentException e) { throw new ArgumentException($"item {i}: {e.Message}", e); }
        }
        int worst = 0;
        for (int i = 1; i < n; i++) if (cosines[i] < cosines[worst]) worst = i;
        var sorted = cosines.Order().ToArray();
        int rank = (5 * n + 99) / 100; // ⌈5n/100⌉ in integers, so n = 20 gives exactly 1
        return new EmbeddingFidelity(n, cosines.Average(), sorted[rank - 1], cosines[worst], worst,
            RankingAgreement.Of(NearestOthers(reduced, "reduced embedding"), NearestOthers(dense, "dense embedding")));
    }

    /// <summary>Each item's nearest other items by cosine, best first (at most <see cref="RankingAgreement.ListLength"/>).</summary>
    static int[][] NearestOthers(IReadOnlyList<float[]> embeddings, string name)
    {
        var m = CosineSimilarity.Matrix(embeddings, embeddings, name, name);
        int n = embeddings.Count;
        return Enumerable.Range(0, n)
            .Select(i => Ranking.Top(MemoryMarshal.CreateReadOnlySpan(ref m[i, 0], n), RankingAgreement.ListLength, exclude: i))
            .ToArray();
    }
}
