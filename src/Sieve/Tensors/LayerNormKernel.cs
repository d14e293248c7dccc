using System.Numerics.Tensors;

namespace Sieve.Tensors;

/// <summary>Row-wise layer normalisation: y = (x − mean) / √(var + eps) · γ + β (biased variance).</summary>
internal static class LayerNormKernel
{
    /// <summary>Normalises each of the <paramref name="rows"/> rows of width γ.Length.</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> y, int rows, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps)
    {
        int d = gamma.Length;
        if (beta.Length != d) throw new ArgumentException($"beta has {beta.Length} values, gamma {d}", nameof(beta));
        if (x.Length < rows * d || y.Length < rows * d) throw new ArgumentException($"need {rows}×{d} floats");
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * d, d);
            var yr = y.Slice(r * d, d);
            float mean = TensorPrimitives.Sum(xr) / d;
            TensorPrimitives.Subtract(xr, mean, yr);
            float inv = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(yr) / d + eps);
            TensorPrimitives.Multiply(yr, inv, yr);
            TensorPrimitives.FusedMultiplyAdd(yr, gamma, beta, yr);
        }
    }
}
