using System.Diagnostics;

namespace Sieve.Eval;

/// <summary>Wall-clock samples of one repeated operation, summarised robustly (median, p90).</summary>
public sealed record Timing(IReadOnlyList<double> Milliseconds)
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

    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then times it <paramref name="runs"/> times.</summary>
    public static Timing Measure(Action action, int warmup, int runs, Action? afterEach = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        for (int i = 0; i < warmup; i++) action();
        var samples = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            afterEach?.Invoke();
        }
        return new Timing(samples);
    }
}
