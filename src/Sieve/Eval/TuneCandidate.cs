using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>One spec the tuner evaluated on the calibration split (dense included, as the first candidate).</summary>
/// <param name="Reduction">The spec, per tower.</param>
/// <param name="Family">Its family (<see cref="TuneFamily.Method"/> and <see cref="TuneFamily.Shape"/>); <c>none</c>/<c>dense</c> for dense.</param>
/// <param name="Result">Its result on the calibration split, without speed.</param>
/// <param name="Value">The budget's quantity (<see cref="TuneBudget.Value"/>).</param>
/// <param name="Meets">Whether <see cref="Value"/> is inside the budget.</param>
/// <param name="SpeedUp">Measured speed-up over dense on the calibration split, when it was among the timed candidates.</param>
/// <param name="ItemsPerSecond">Measured items per second, when timed.</param>
public sealed record TuneCandidate(ModelReduction Reduction, TuneFamily? Family, ITaskResult Result, double Value, bool Meets,
    double? SpeedUp = null, double? ItemsPerSecond = null)
{
    /// <summary>The spec as a one-line <c>--reducer</c> value.</summary>
    public string Spec => Reduction.ToString();

    /// <summary>The method's name (<c>none</c> for dense).</summary>
    public string Method => Family?.Method ?? "none";

    /// <summary>The schedule's shape (<c>dense</c> for dense).</summary>
    public string Shape => Family?.Shape ?? "dense";

    /// <summary>Executed multiply-adds per item, in billions.</summary>
    public double GMacs => Result.GMacs;

    /// <summary>Agreement with dense, in [0, 1].</summary>
    public double Agreement => Result.Agreement;
}
