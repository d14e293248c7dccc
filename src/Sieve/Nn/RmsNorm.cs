using System.Numerics.Tensors;
using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// Llama's RMSNorm: y = w ⊙ x / √(mean(x²) + ε) per row (no mean subtraction, no bias), as <c>LlamaRMSNorm</c> computes it
/// in float32.
/// </summary>
internal sealed class RmsNorm(float[] weight, float eps)
{
    /// <summary>Row width.</summary>
    public int Width => weight.Length;

    /// <summary>Normalises <paramref name="rows"/> rows of <paramref name="x"/> into <paramref name="y"/> (may be the same span).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        using var time = OpProfile.Time(OpKind.LayerNorm);
        int d = weight.Length;
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * d, d);
            float scale = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(row) / d + eps);
            var output = y.Slice(r * d, d);
            TensorPrimitives.Multiply(row, scale, output);
            TensorPrimitives.Multiply(output, weight, output);
        }
    }
}
