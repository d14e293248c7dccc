namespace Sieve.Reduction;

/// <summary>The temperature a calibration found, and what it measured there.</summary>
/// <param name="Temperature">T to use.</param>
/// <param name="Ratio">Measured multiply-adds at T as a fraction of dense.</param>
/// <param name="Evaluations">Calibration passes it took.</param>
internal sealed record CalibrationResult(double Temperature, double Ratio, int Evaluations);

/// <summary>
/// Finds MADTP's temperature for a compute target (ALGORITHMS.md §3d): a bracketing search on T, in
/// log space, with measured multiply-adds on a calibration set, until within a relative tolerance.
/// Larger T prunes more, so the measured ratio falls (in practice monotonically) as T grows.
/// </summary>
internal static class MadtpCalibration
{
    /// <param name="ratioAt">Mean measured multiply-adds at temperature T as a fraction of dense (runs the calibration set).</param>
    /// <param name="target">Wanted fraction of dense, in (0, 1].</param>
    /// <param name="tolerance">Relative tolerance on the fraction (0.02 = within 2%).</param>
    /// <param name="maxEvaluations">Calibration passes allowed.</param>
    /// <exception cref="ArgumentException">The target is below the lowest fraction any temperature reaches (a user's value that cannot be met).</exception>
    public static CalibrationResult Calibrate(Func<double, double> ratioAt, double target, double tolerance = 0.02, int maxEvaluations = 40)
    {
        if (!(target > 0 && target <= 1)) throw new ArgumentOutOfRangeException(nameof(target), target, "target must be a fraction of dense in (0, 1]");
        if (target == 1) return new CalibrationResult(0, 1, 0);
        int evaluations = 0;
        var best = new CalibrationResult(0, 1, 0);
        double Measure(double t)
        {
            double ratio = ratioAt(t);
            evaluations++;
            if (Math.Abs(ratio - target) < Math.Abs(best.Ratio - target)) best = new CalibrationResult(t, ratio, evaluations);
            return ratio;
        }
        bool Close(double ratio) => Math.Abs(ratio / target - 1) <= tolerance;

        // Bracket: lo prunes too little (ratio above target), hi enough (ratio at or below it).
        double lo = 1, hi = 1, r = Measure(1);
        if (Close(r)) return best with { Evaluations = evaluations };
        if (r > target)
        {
            while (r > target)
            {
                if (evaluations >= maxEvaluations || hi >= 1e12)
                    throw new ArgumentException($"MADTP cannot reach {target * 100:0.#}% of dense compute: the lowest measured was {best.Ratio * 100:0.0}% at T = {best.Temperature:G3}");
                lo = hi;
                hi *= 8;
                r = Measure(hi);
                if (Close(r)) return best with { Evaluations = evaluations };
            }
        }
        else
        {
            while (r < target)
            {
                if (evaluations >= maxEvaluations || lo <= 1e-12) return best with { Evaluations = evaluations };
                hi = lo;
                lo /= 8;
                r = Measure(lo);
                if (Close(r)) return best with { Evaluations = evaluations };
            }
        }
        while (evaluations < maxEvaluations)
        {
            double mid = Math.Sqrt(lo * hi);
            r = Measure(mid);
            if (Close(r)) break;
            if (r > target) lo = mid; else hi = mid;
        }
        return best with { Evaluations = evaluations };
    }
}
