namespace Sieve.Fitting;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter): Adam's bias-corrected moment estimates with weight decay applied to
/// the parameters directly (decoupled), not through the gradient.
/// </summary>
internal sealed class AdamW
{
    readonly double[] _m, _v;
    readonly double _beta1, _beta2, _eps, _weightDecay;
    int _step;

    /// <param name="size">Number of parameters.</param>
    /// <param name="weightDecay">Decoupled decay per unit of learning rate (≥ 0).</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="eps">Denominator guard.</param>
    public AdamW(int size, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must be ≥ 0");
        if (!(beta1 is >= 0 and < 1) || !(beta2 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), "betas must be in [0, 1)");
        _m = new double[size];
        _v = new double[size];
        _beta1 = beta1;
        _beta2 = beta2;
        _eps = eps;
        _weightDecay = weightDecay;
    }

    /// <summary>One update of <paramref name="parameters"/> in place with step size <paramref name="learningRate"/>.</summary>
    public void Step(Span<double> parameters, ReadOnlySpan<double> gradient, double learningRate)
    {
        if (parameters.Length != _m.Length || gradient.Length != _m.Length)
            throw new ArgumentException($"optimiser holds {_m.Length} parameters; got {parameters.Length} parameters and {gradient.Length} gradients");
        _step++;
        double c1 = 1 - Math.Pow(_beta1, _step), c2 = 1 - Math.Pow(_beta2, _step);
        for (int i = 0; i < parameters.Length; i++)
        {
            _m[i] = _beta1 * _m[i] + (1 - _beta1) * gradient[i];
            _v[i] = _beta2 * _v[i] + (1 - _beta2) * gradient[i] * gradient[i];
            parameters[i] -= learningRate * (_weightDecay * parameters[i] + _m[i] / c1 / (Math.Sqrt(_v[i] / c2) + _eps));
        }
    }
}
