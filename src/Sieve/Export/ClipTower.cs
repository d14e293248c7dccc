namespace Sieve.Export;

/// <summary>Which of a CLIP model's two towers to export.</summary>
public enum ClipTower
{
    /// <summary>Pixels [batch, 3, S, S] → projected image embeddings [batch, projection_dim].</summary>
    Vision,
    /// <summary>Token ids [batch, sequence] → projected text embeddings [batch, projection_dim].</summary>
    Text,
}
