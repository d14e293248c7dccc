namespace Sieve.Eval;

/// <summary>The quantity a <see cref="TuneBudget"/> bounds.</summary>
public enum TuneMetric
{
    /// <summary>Share of items whose answer equals dense's, in [0, 1].</summary>
    Agreement,

    /// <summary>Percentage points of the headline labelled score below dense.</summary>
    Drop,

    /// <summary>Mean cosine of each item's embedding to dense's.</summary>
    Cosine,
}
