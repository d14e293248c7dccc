namespace Sieve.Eval;

/// <summary>Wall-clock samples of one repeated operation, summarised robustly (median, p90).</summary>
internal sealed record Timing(IReadOnlyList<double> Milliseconds)
{
    /// <summary>Median time in milliseconds.</summary>
    public double Median => Percentile(0.5);

    /// <summary>90th-percentile time in milliseconds.</summary>
    public double P90 => Percentile(0.9);

    /// <summary>Linear-interpolated percentile of the samples (q in [0, 1]).</summary>
    public double Percentile(double q)
    {
        if (Milliseconds.Count == 0) throw new InvalidOperationException("no timing samples");
        var sorted = Milliseconds.Order().ToArray();
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
