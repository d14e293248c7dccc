namespace Sieve.Eval;

/// <summary>What <see cref="Tuner.Tune(ITaskEvaluation, TuneOptions, Action{TuneProgress}?)"/> found: every candidate, the Pareto front, the chosen spec and its held-out result.</summary>
public sealed record TuneResult
{
    /// <summary>The task's name.</summary>
    public required string Task { get; init; }

    /// <summary>The budget searched under.</summary>
    public required TuneBudget Budget { get; init; }

    /// <summary>The seed of the split.</summary>
    public required int Seed { get; init; }

    /// <summary>The calibration and held-out item indices.</summary>
    public required TuneSplit Split { get; init; }

    /// <summary>Every candidate evaluated on the calibration split, dense first, then in the order they were evaluated.</summary>
    public required IReadOnlyList<TuneCandidate> Candidates { get; init; }

    /// <summary>
    /// Dense and the timed candidates that no other timed one beats on both the budget's quantity and measured speed-up,
    /// fastest first.
    /// </summary>
    public required IReadOnlyList<TuneCandidate> Pareto { get; init; }

    /// <summary>The fastest timed spec inside the budget on the calibration split; null when none is (dense stays the answer).</summary>
    public required TuneCandidate? Chosen { get; init; }

    /// <summary>The chosen spec as a one-line <c>--reducer</c> value (<c>none</c> when nothing meets the budget).</summary>
    public string Reducer => Chosen?.Spec ?? "none";

    /// <summary>
    /// Held-out rows, measured in one run with interleaved timing: dense, the chosen spec, each method's strongest
    /// constant schedule inside the budget on calibration, then the comparison specs asked for; each spec once.
    /// </summary>
    public required IReadOnlyList<ITaskResult> HeldOut { get; init; }

    /// <summary>The chosen spec's held-out row (dense's when nothing was chosen).</summary>
    public required ITaskResult ChosenHeldOut { get; init; }

    /// <summary>The budget's quantity of the chosen spec on the held-out split.</summary>
    public required double HeldOutValue { get; init; }

    /// <summary>Whether the chosen spec stays inside the budget on the held-out split.</summary>
    public required bool HeldOutMeets { get; init; }

    /// <summary>The fastest held-out row of a constant schedule (one method, the same r in every block) inside the budget there; null when none is.</summary>
    public required ITaskResult? BestConstant { get; init; }

    /// <summary>Most candidates the search could have evaluated.</summary>
    public required int Planned { get; init; }

    /// <summary>Candidates not evaluated because their predicted GMACs could not reach the shortlist.</summary>
    public required int Skipped { get; init; }

    /// <summary>Whether the search stopped at the time budget before every family was bisected to its end.</summary>
    public required bool StoppedByTime { get; init; }

    /// <summary>Wall-clock time of the whole run.</summary>
    public required TimeSpan Elapsed { get; init; }
}
