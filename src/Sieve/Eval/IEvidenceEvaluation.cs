using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>
/// A task whose <see cref="ITaskEvaluation.Evaluate"/> is two steps, the doing (<see cref="Collect"/>: every forward,
/// per-item evidence) and the deciding (<see cref="ITaskEvidence.Score"/>: the metrics), so that the doing can be spread
/// over machines, a part of the items each (<see cref="ITaskEvaluation.Subset"/>), and the deciding done once.
/// </summary>
internal interface IEvidenceEvaluation : ITaskEvaluation
{
    /// <summary>Dense, then each of <paramref name="reductions"/>, on every item: the evidence <see cref="ITaskEvaluation.Evaluate"/> scores.</summary>
    /// <param name="reductions">The reducers per tower (a MADTP target calibrated into a temperature first).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="progress">Null, or called once per step (<see cref="ITaskEvaluation.StepsPerReducer"/> per reducer, from worker threads).</param>
    ITaskEvidence Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null);
}
