namespace Sieve.Eval;

/// <summary>
/// What embedding fidelity needs of each item to score it (<see cref="EmbeddingEvaluation"/>): per reducer, its
/// embedding and multiply-adds. Nearest neighbours are found among all the items, so fidelity is measured only when the
/// evidence of every item is together (<see cref="Results"/>).
/// </summary>
/// <param name="Reducers">The specs as run, dense first.</param>
/// <param name="Embeddings">Per reducer and item, the embedding.</param>
/// <param name="Macs">Per reducer and item, the multiply-adds as executed.</param>
/// <param name="Seconds">Per reducer, the seconds its forwards took.</param>
internal sealed record EmbeddingEvidence(string[] Reducers, float[][][] Embeddings, long[][] Macs, double[] Seconds) : ITaskEvidence
{
    /// <summary>Fidelity to dense and executed GMACs per reducer, dense first.</summary>
    public IReadOnlyList<EmbeddingResult> Results() =>
    [
        .. Reducers.Select((spec, s) =>
        {
            var f = EmbeddingFidelity.Measure(Embeddings[s], Embeddings[0]);
            return new EmbeddingResult(spec, Embeddings[s].Length, f.MeanCosine, f.Percentile5Cosine, f.WorstCosine, f.WorstItem,
                f.Neighbours.Top1, f.Neighbours.OverlapAt10, Embedder.GMacs(Macs[s]));
        }),
    ];

    /// <summary>The parts, each the evidence of the items after the previous part's, as one.</summary>
    public static EmbeddingEvidence Join(IReadOnlyList<EmbeddingEvidence> parts)
    {
        return parts[0] with
        {
            Embeddings = TaskEvidence.JoinItems(parts, p => p.Embeddings),
            Macs = TaskEvidence.JoinItems(parts, p => p.Macs),
            Seconds = TaskEvidence.SumSeconds(parts, p => p.Seconds),
        };
    }

    /// <summary>Null when every array has one entry per reducer and item (a file read back), else what is wrong.</summary>
    public string? Inconsistency()
    {
        int reducers = Reducers.Length, n = Embeddings.Length > 0 ? Embeddings[0].Length : 0;
        if (n == 0 || reducers == 0) return $"{n} items and {reducers} reducers";
        if (Embeddings.Length != reducers || Macs.Length != reducers || Seconds.Length != reducers)
            return $"{reducers} reducers but {Embeddings.Length} embedding lists, {Macs.Length} multiply-add lists and {Seconds.Length} times";
        if (Embeddings.Any(e => e.Length != n) || Macs.Any(m => m is null || m.Length != n)) return $"{n} items but a reducer without an embedding or multiply-adds for each";
        return null;
    }

    string ITaskEvidence.Task => "embedding";
    IReadOnlyList<string> ITaskEvidence.Reducers => Reducers;
    int ITaskEvidence.Items => Embeddings[0].Length;
    IReadOnlyList<double> ITaskEvidence.Seconds => Seconds;
    IReadOnlyList<ITaskResult> ITaskEvidence.Score() => Results();
}
