namespace Sieve.Models;

/// <summary>
/// The frozen LayerNorm and linear map through which a tower's pooled token becomes its output (a ViT's final
/// norm and class head; a CLIP tower's last norm and projection), as loaded: the model runs them packed, and
/// guidance fitting differentiates through these copies without reopening the checkpoint.
/// </summary>
/// <param name="Gamma">LayerNorm scale [D].</param>
/// <param name="Beta">LayerNorm shift [D].</param>
/// <param name="Eps">LayerNorm epsilon.</param>
/// <param name="Weight">The map's weight [P, D] (PyTorch <c>nn.Linear</c> layout).</param>
/// <param name="Bias">Its bias [P], or null.</param>
internal sealed record TokenReadout(float[] Gamma, float[] Beta, float Eps, float[] Weight, float[]? Bias)
{
    /// <summary>Input width D.</summary>
    public int Width => Gamma.Length;

    /// <summary>Output width P.</summary>
    public int Outputs => Weight.Length / Gamma.Length;

    /// <summary>The norm, sharing these arrays.</summary>
    public Nn.LayerNorm Norm() => new(Gamma, Beta, Eps);

    /// <summary>The map, packed.</summary>
    public Nn.Linear Projection() => new(Weight, Bias, Width, Outputs);
}
