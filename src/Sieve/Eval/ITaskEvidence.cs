namespace Sieve.Eval;

/// <summary>
/// What dense and each reducer left behind on some of a task's items — per item, everything the task's metrics are
/// computed from, and nothing computed across items yet. Evidence of consecutive parts of the items, joined in order
/// (<see cref="TaskEvidence.Join"/>), is the evidence of the whole, so it scores (<see cref="Score"/>) exactly as one
/// run over every item does: <c>sieve eval --shard</c> collects it on many machines, <c>--merge</c> scores it once.
/// </summary>
internal interface ITaskEvidence
{
    /// <summary>The task's name as the CLI's <c>--task</c> takes it.</summary>
    string Task { get; }

    /// <summary>The reducer specs as run, dense first.</summary>
    IReadOnlyList<string> Reducers { get; }

    /// <summary>Items the evidence covers.</summary>
    int Items { get; }

    /// <summary>Seconds each reducer (dense first) took to collect its evidence: work time, not an interleaved measurement.</summary>
    IReadOnlyList<double> Seconds { get; }

    /// <summary>The task's results, dense first, without speed: the one place the task's metrics are computed.</summary>
    IReadOnlyList<ITaskResult> Score();
}
