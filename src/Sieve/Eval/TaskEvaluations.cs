using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>Runs any <see cref="ITaskEvaluation"/>: metrics over every item, then speed from interleaved rounds.</summary>
public static class TaskEvaluations
{
    /// <summary>
    /// Dense and each of <paramref name="reductions"/> on every item (<see cref="ITaskEvaluation.Evaluate"/>), then
    /// timed against each other on the first items (<see cref="SpeedOptions"/>); dense first, every row with its speed.
    /// </summary>
    /// <param name="evaluation">The task and its items.</param>
    /// <param name="reductions">The reducers per tower (a MADTP target calibrated into a temperature first).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="speed">How speed is measured (null: the defaults).</param>
    /// <param name="progress">Null, or called once per step of the evaluation (from worker threads).</param>
    /// <param name="timedRound">Null, or called after every timing round.</param>
    public static IReadOnlyList<ITaskResult> Measure(this ITaskEvaluation evaluation, IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null,
        SpeedOptions? speed = null, Action? progress = null, Action? timedRound = null)
    {
        var results = evaluation.Evaluate(reductions, guidance, progress);
        return evaluation.WithSpeed(results, reductions, guidance, speed ?? new SpeedOptions(), timedRound);
    }

    /// <summary><paramref name="results"/> (from <see cref="ITaskEvaluation.Evaluate"/> of the same reductions) with their measured speed.</summary>
    internal static IReadOnlyList<ITaskResult> WithSpeed(this ITaskEvaluation evaluation, IReadOnlyList<ITaskResult> results, IReadOnlyList<ModelReduction> reductions,
        ReductionGuidance? guidance, SpeedOptions speed, Action? timedRound = null)
    {
        int items = Math.Min(speed.Items, evaluation.Count);
        var timings = evaluation.Time(reductions, guidance, items, speed.WarmupRounds, speed.Rounds, timedRound);
        return InterleavedTiming.WithSpeed(results, timings, items, (r, perSecond, speedUp) => r.WithSpeed(perSecond, speedUp));
    }

    /// <summary><paramref name="items"/> as an array, each checked to be an item index below <paramref name="count"/>, none twice.</summary>
    internal static int[] CheckSubset(IReadOnlyList<int> items, int count)
    {
        if (items.Count == 0) throw new ArgumentException("an empty subset of items", nameof(items));
        var seen = new HashSet<int>();
        foreach (int i in items)
        {
            if (i < 0 || i >= count) throw new ArgumentOutOfRangeException(nameof(items), $"item {i} is outside the {count} items");
            if (!seen.Add(i)) throw new ArgumentException($"item {i} is chosen twice", nameof(items));
        }
        return [.. items];
    }
}
