using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>Layer normalisation over the last dimension with learned γ, β.</summary>
internal sealed class LayerNorm(float[] gamma, float[] beta, float eps)
{
    /// <summary>Normalised width.</summary>
    public int Width => gamma.Length;

    /// <summary>Normalises <paramref name="rows"/> rows of <paramref name="x"/> into <paramref name="y"/> (may alias).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        using var time = OpProfile.Time(OpKind.LayerNorm);
        LayerNormKernel.Apply(x, y, rows, gamma, beta, eps);
    }
}
