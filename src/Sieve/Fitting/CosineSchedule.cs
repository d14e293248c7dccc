namespace Sieve.Fitting;

/// <summary>Cosine decay of the step size from its peak at step 0 to <c>floor × peak</c> at the last step.</summary>
internal sealed record CosineSchedule
{
    /// <param name="peak">Step size at step 0 (&gt; 0).</param>
    /// <param name="steps">Total optimiser steps (≥ 1).</param>
    /// <param name="floor">Fraction of the peak left at the end, in [0, 1].</param>
    public CosineSchedule(double peak, int steps, double floor = 0.05)
    {
        if (!(peak > 0)) throw new ArgumentOutOfRangeException(nameof(peak), peak, "peak step size must be > 0");
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!(floor is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(floor), floor, "floor must be in [0, 1]");
        Peak = peak;
        Steps = steps;
        Floor = floor;
    }

    /// <summary>Step size at step 0.</summary>
    public double Peak { get; }

    /// <summary>Total optimiser steps.</summary>
    public int Steps { get; }

    /// <summary>Fraction of the peak left at the last step.</summary>
    public double Floor { get; }

    /// <summary>The step size of step <paramref name="step"/> (0-based; clamped to the schedule).</summary>
    public double At(int step)
    {
        double t = Steps == 1 ? 0 : Math.Clamp(step / (double)(Steps - 1), 0, 1);
        return Peak * (Floor + (1 - Floor) * 0.5 * (1 + Math.Cos(Math.PI * t)));
    }
}
