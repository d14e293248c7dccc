using System.Diagnostics;
using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>One reducer's fidelity to the dense model's embeddings, without labels.</summary>
/// <param name="Reducer">The spec as run.</param>
/// <param name="Items">Items embedded.</param>
/// <param name="MeanCosine">Mean over items of cos(reduced, dense).</param>
/// <param name="Percentile5Cosine">5th percentile of those cosines (nearest rank, <see cref="EmbeddingFidelity"/>).</param>
/// <param name="WorstCosine">The smallest cosine.</param>
/// <param name="WorstItem">The item with the smallest cosine (0-based, the lower on a tie).</param>
/// <param name="Agreement">Share of items whose nearest other item is the dense model's nearest.</param>
/// <param name="OverlapAt10">Mean overlap of each item's 10 nearest others with the dense model's.</param>
/// <param name="GMacs">Mean multiply-adds per item as executed, in billions.</param>
/// <param name="ItemsPerSecond">Measured throughput, null when not timed.</param>
/// <param name="SpeedUp">Dense's median time ÷ this reducer's, from the same interleaved rounds; null when not timed.</param>
internal sealed record EmbeddingResult(string Reducer, int Items, double MeanCosine, double Percentile5Cosine, double WorstCosine, int WorstItem,
    double Agreement, double OverlapAt10, double GMacs, double? ItemsPerSecond = null, double? SpeedUp = null) : ITaskResult
{
    IReadOnlyList<TaskMetric> ITaskResult.Metrics =>
        [new("meanCosine", "mean cos", MeanCosine, 4), new("p5Cosine", "p5 cos", Percentile5Cosine, 4), new("worstCosine", "worst cos", WorstCosine, 4),
            new("worstItem", "worst item", WorstItem, 0), new("overlapAt10", "overlap@10", 100 * OverlapAt10, 1)];
    double? ITaskResult.Score => null;
    double? ITaskResult.Cosine => MeanCosine;
    ITaskResult ITaskResult.WithSpeed(double itemsPerSecond, double speedUp) => this with { ItemsPerSecond = itemsPerSecond, SpeedUp = speedUp };
}

/// <summary>
/// Embeds a set of items (images, or texts) with the dense model and with each reducer and measures how faithful
/// the reduced embeddings are (<see cref="EmbeddingFidelity"/>), what they cost (executed GMACs) and how fast they
/// come (<see cref="Time"/>). The inputs are held in memory, preprocessed; so are the embeddings, n × d per reducer.
/// </summary>
internal sealed class EmbeddingEvaluation : IEvidenceEvaluation
{
    readonly IModel _model;
    readonly Embedder _embedder;
    readonly IReadOnlyList<TowerInput> _inputs;

    /// <param name="model">The dense model.</param>
    /// <param name="embedder">Which embedding of the model (<see cref="Embedder.Image"/>, <see cref="Embedder.Text"/>).</param>
    /// <param name="inputs">The items, at least 2 (nearest neighbours need another item).</param>
    public EmbeddingEvaluation(IModel model, Embedder embedder, IReadOnlyList<TowerInput> inputs)
    {
        if (inputs.Count < 2) throw new ArgumentException($"{inputs.Count} {embedder.Items}: embedding fidelity compares nearest neighbours and needs at least 2", nameof(inputs));
        (_model, _embedder, _inputs) = (model, embedder, inputs);
    }

    /// <summary>Items evaluated.</summary>
    public int Items => _inputs.Count;

    /// <summary>Dense, then each of <paramref name="reductions"/>: fidelity to dense and executed GMACs (dense first; its row is exact: cosine 1, agreement 1).</summary>
    /// <param name="reductions">The reducers per tower (a MADTP target must be calibrated into a temperature first).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="progress">Called once per item and reducer run (from worker threads).</param>
    public IReadOnlyList<EmbeddingResult> Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null) =>
        Collect(reductions, guidance, progress).Results();

    /// <summary>Dense, then each of <paramref name="reductions"/>: every item's embedding and its multiply-adds, the evidence <see cref="Evaluate"/> scores.</summary>
    public EmbeddingEvidence Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null)
    {
        var all = WithDense(reductions);
        var runs = all.Select(r =>
        {
            long began = Stopwatch.GetTimestamp();
            var (embeddings, macs) = _embedder.Run(_model.WithReduction(r, guidance), _inputs, progress);
            return (Embeddings: embeddings, Macs: macs, Seconds: Stopwatch.GetElapsedTime(began).TotalSeconds);
        }).ToArray();
        return new EmbeddingEvidence([.. all.Select(r => r.ToString())], [.. runs.Select(r => r.Embeddings)], [.. runs.Select(r => r.Macs)], [.. runs.Select(r => r.Seconds)]);
    }

    /// <summary>
    /// Times dense and each of <paramref name="reductions"/> on the same first <paramref name="items"/> items with
    /// <see cref="InterleavedTiming"/>, dense first.
    /// </summary>
    public IReadOnlyList<Timing> Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int items, int warmupRounds, int rounds, Action? afterRound = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        var inputs = _inputs.Take(items).ToArray();
        var cases = WithDense(reductions).Select(r => _embedder.Timed(_model.WithReduction(r, guidance), inputs)).ToArray();
        return InterleavedTiming.Measure(cases, warmupRounds, rounds, afterRound);
    }

    /// <summary><paramref name="results"/> with items/s and speed-up (dense, the first, ÷ each) from <see cref="Time"/>'s timings over <paramref name="items"/> items per run.</summary>
    public static IReadOnlyList<EmbeddingResult> WithSpeed(IReadOnlyList<EmbeddingResult> results, IReadOnlyList<Timing> timings, int items) =>
        InterleavedTiming.WithSpeed(results, timings, items, (r, perSecond, speedUp) => r with { ItemsPerSecond = perSecond, SpeedUp = speedUp });

    string ITaskEvaluation.Task => "embedding";
    string ITaskEvaluation.ItemName => _embedder.Items;
    int ITaskEvaluation.Count => Items;
    IModel ITaskEvaluation.Model => _model;
    int ITaskEvaluation.StepsPerReducer => Items;
    IReadOnlyList<ITaskResult> ITaskEvaluation.Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Evaluate(reductions, guidance, progress);
    ITaskEvidence IEvidenceEvaluation.Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Collect(reductions, guidance, progress);
    ITaskEvaluation ITaskEvaluation.Subset(IReadOnlyList<int> items) =>
        new EmbeddingEvaluation(_model, _embedder, TaskEvaluations.CheckSubset(items, Items).Select(i => _inputs[i]).ToArray());
    IReadOnlyList<Timing> ITaskEvaluation.Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int items, int warmupRounds, int rounds, Action? afterRound) =>
        Time(reductions, guidance, items, warmupRounds, rounds, afterRound);

    internal static List<ModelReduction> WithDense(IReadOnlyList<ModelReduction> reductions) => [ModelReduction.None, .. reductions];
}
