using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>
/// A task on a fixed set of items — classification, CLIP zero-shot, embedding fidelity, retrieval, VQA — that
/// measures what each reducer costs (the task metric, agreement with dense) and buys (executed GMACs, speed).
/// Made by <see cref="TaskEvaluations"/>; run with <see cref="TaskEvaluations.Measure"/>.
/// </summary>
public interface ITaskEvaluation
{
    /// <summary>The task's name as the CLI's <c>--task</c> takes it.</summary>
    string Task { get; }

    /// <summary>What one item is, plural ("images", "questions").</summary>
    string ItemName { get; }

    /// <summary>Items evaluated.</summary>
    int Count { get; }

    /// <summary>The dense model.</summary>
    IModel Model { get; }

    /// <summary>Progress steps of one reducer in <see cref="Evaluate"/> (forwards run: images plus texts for retrieval).</summary>
    int StepsPerReducer { get; }

    /// <summary>Dense, then each of <paramref name="reductions"/>: metrics, agreement with dense and executed GMACs, dense first.</summary>
    /// <param name="reductions">The reducers per tower (a MADTP target calibrated into a temperature first).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="progress">Null, or called once per step (<see cref="StepsPerReducer"/> per reducer, from worker threads).</param>
    IReadOnlyList<ITaskResult> Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null);

    /// <summary>The same task on some of its items (tuning's calibration and held-out splits).</summary>
    /// <param name="items">Item indices, each in [0, <see cref="Count"/>), in the order to use.</param>
    ITaskEvaluation Subset(IReadOnlyList<int> items);

    /// <summary>
    /// Times dense and each of <paramref name="reductions"/> on the same first <paramref name="items"/> items with
    /// <see cref="InterleavedTiming"/>, dense first.
    /// </summary>
    internal IReadOnlyList<Timing> Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int items, int warmupRounds, int rounds, Action? afterRound = null);
}
