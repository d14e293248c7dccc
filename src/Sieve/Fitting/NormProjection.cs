using System.Numerics.Tensors;
using Sieve.Models;

namespace Sieve.Fitting;

/// <summary>
/// z = W·LN(h) + b in float64: the frozen LayerNorm and linear map through which a cross token reaches a
/// fitting loss (a ViT's final norm and class head; a CLIP tower's last norm and projection), with the
/// hand-derived gradient dL/dh for a given dL/dz.
/// </summary>
internal sealed class NormProjection
{
    readonly double[] _gamma, _beta, _weight;
    readonly double[]? _bias;
    readonly double _eps;

    /// <param name="gamma">LayerNorm scale [D].</param>
    /// <param name="beta">LayerNorm shift [D].</param>
    /// <param name="eps">LayerNorm epsilon.</param>
    /// <param name="weight">W [P, D] (PyTorch <c>nn.Linear</c> layout).</param>
    /// <param name="bias">b [P], or null.</param>
    public NormProjection(double[] gamma, double[] beta, double eps, double[] weight, double[]? bias)
    {
        if (beta.Length != gamma.Length) throw new ArgumentException($"LayerNorm shift has {beta.Length} values, scale {gamma.Length}", nameof(beta));
        if (gamma.Length == 0 || weight.Length % gamma.Length != 0)
            throw new ArgumentException($"projection has {weight.Length} values, not a multiple of the width {gamma.Length}", nameof(weight));
        if (bias != null && bias.Length != weight.Length / gamma.Length)
            throw new ArgumentException($"projection bias has {bias.Length} values, expected {weight.Length / gamma.Length}", nameof(bias));
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "LayerNorm epsilon must be positive");
        _gamma = gamma;
        _beta = beta;
        _eps = eps;
        _weight = weight;
        _bias = bias;
    }

    /// <summary>A float64 copy of a loaded model's <paramref name="readout"/>.</summary>
    internal static NormProjection Of(TokenReadout readout)
    {
        static double[] Wide(float[] x) => Array.ConvertAll(x, v => (double)v);
        return new(Wide(readout.Gamma), Wide(readout.Beta), readout.Eps, Wide(readout.Weight), readout.Bias is { } b ? Wide(b) : null);
    }

    /// <summary>Input width D.</summary>
    public int Width => _gamma.Length;

    /// <summary>Output width P.</summary>
    public int Outputs => _weight.Length / _gamma.Length;

    /// <summary>W [P, D].</summary>
    public ReadOnlySpan<double> Weight => _weight;

    /// <summary>z = W·LN(h) + b.</summary>
    public double[] Forward(ReadOnlySpan<double> h)
    {
        var u = new double[Width];
        Normalize(h, u);
        Affine(u);
        var z = new double[Outputs];
        for (int p = 0; p < z.Length; p++) z[p] = TensorPrimitives.Dot(_weight.AsSpan(p * Width, Width), u) + (_bias?[p] ?? 0);
        return z;
    }

    /// <summary>
    /// dL/dh for dL/dz at <paramref name="h"/>: du = Wᵀ·dz, dx̂ = γ ⊙ du, and through the normalisation
    /// dh = (dx̂ − mean(dx̂) − x̂·mean(dx̂ ⊙ x̂)) / σ.
    /// </summary>
    public void Backward(ReadOnlySpan<double> h, ReadOnlySpan<double> dz, Span<double> dh)
    {
        int d = Width;
        if (dz.Length != Outputs || dh.Length != d || h.Length != d) throw new ArgumentException($"expected h [{d}], dz [{Outputs}], dh [{d}]");
        var xhat = new double[d];
        double sigma = Normalize(h, xhat);
        var dxhat = new double[d];
        for (int p = 0; p < dz.Length; p++)
            if (dz[p] != 0) TensorPrimitives.MultiplyAdd(_weight.AsSpan(p * d, d), dz[p], dxhat, dxhat);
        TensorPrimitives.Multiply(dxhat, _gamma, dxhat);
        double mean = TensorPrimitives.Sum<double>(dxhat) / d, meanXhat = TensorPrimitives.Dot<double>(dxhat, xhat) / d;
        for (int i = 0; i < d; i++) dh[i] = (dxhat[i] - mean - xhat[i] * meanXhat) / sigma;
    }

    /// <summary>x̂ = (h − μ)/σ into <paramref name="xhat"/>; returns σ = √(var + ε).</summary>
    double Normalize(ReadOnlySpan<double> h, Span<double> xhat)
    {
        if (h.Length != Width) throw new ArgumentException($"cross-token state has {h.Length} values, expected {Width}", nameof(h));
        double mean = TensorPrimitives.Sum(h) / h.Length;
        TensorPrimitives.Subtract(h, mean, xhat);
        double sigma = Math.Sqrt(TensorPrimitives.Dot<double>(xhat, xhat) / h.Length + _eps);
        TensorPrimitives.Divide(xhat, sigma, xhat);
        return sigma;
    }

    void Affine(Span<double> u)
    {
        TensorPrimitives.Multiply(u, _gamma, u);
        TensorPrimitives.Add(u, _beta, u);
    }
}
