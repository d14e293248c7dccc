using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>How <see cref="Tuner"/> searches.</summary>
/// <param name="Budget">What the chosen spec may cost.</param>
public sealed record TuneOptions(TuneBudget Budget)
{
    /// <summary>Methods searched; null: <see cref="TuneSpace.DefaultMethods"/>.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    /// <summary>Share of the items held out from the search, in (0, 1).</summary>
    public double HeldOutFraction { get; init; } = 0.5;

    /// <summary>Seed of the calibration / held-out split.</summary>
    public int Seed { get; init; }

    /// <summary>Wall-clock time after which no further search round starts (timing and the held-out run still follow); null: none.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>How speed is measured, in the shortlist's timing and the held-out run.</summary>
    public SpeedOptions Speed { get; init; } = new();

    /// <summary>
    /// Relative GMACs margin within which specs count as near-ties: candidates more than this above the cheapest spec inside
    /// the budget are not evaluated (they cannot be shortlisted), and those within it are timed.
    /// </summary>
    public double NearTie { get; init; } = 0.10;

    /// <summary>Most shortlisted specs timed on the calibration split (besides each method's best constant schedule).</summary>
    public int MaxTimed { get; init; } = 6;

    /// <summary>Measured speed-ups within this share of the fastest are ties, broken by the budget's quantity, then GMACs, then the spec's text.</summary>
    public double SpeedTie { get; init; } = 0.02;

    /// <summary>Further specs run beside the chosen one on the held-out split (e.g. <c>tome:r=13</c>, for comparison).</summary>
    public IReadOnlyList<ModelReduction> Compare { get; init; } = [];

    /// <summary>Fitted guidance, or null.</summary>
    public ReductionGuidance? Guidance { get; init; }
}
