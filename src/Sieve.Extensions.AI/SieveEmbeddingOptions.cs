using Sieve.Reduction;

namespace Sieve.Extensions.AI;

/// <summary>How Sieve's embedding generators embed: which token reducers run, and whether vectors are normalised.</summary>
public sealed record SieveEmbeddingOptions
{
    /// <summary>The reducers per tower (<see cref="ModelReduction.Parse"/>: <c>vision=crossget:r=16;text=tome:r=6</c>); dense by default.</summary>
    public ModelReduction Reduction { get; init; } = ModelReduction.None;

    /// <summary>Scale every vector to unit length, so a dot product is the cosine (default true; CLIP ranks by cosine).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Fitted guidance for <see cref="Reduction"/>, or null.</summary>
    public ReductionGuidance? Guidance { get; init; }
}
