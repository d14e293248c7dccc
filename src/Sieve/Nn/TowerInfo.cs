namespace Sieve.Nn;

/// <summary>The shape of one transformer tower, as a reducer needs to know it before a forward.</summary>
/// <param name="Name">Tower name used in messages and guidance files: <c>vision</c> or <c>text</c>.</param>
/// <param name="Modality">Kind of tokens.</param>
/// <param name="Layers">Number of blocks.</param>
/// <param name="Width">Model width D.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="Causal">Token i attends only to tokens ≤ i (CLIP's text tower): reducers must keep the order.</param>
public sealed record TowerInfo(string Name, Modality Modality, int Layers, int Width, int Heads, bool Causal = false);
