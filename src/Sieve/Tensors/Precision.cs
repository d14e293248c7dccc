namespace Sieve.Tensors;

/// <summary>The arithmetic of a model's transformer-block linear layers, chosen when the model is loaded.</summary>
public enum Precision
{
    /// <summary>float32 weights and products: the checkpoint's values as they are.</summary>
    Float32,
    /// <summary>
    /// int8: the q/k/v, output-projection and MLP weights (and BLIP's cross-attention) quantized per output channel at
    /// load, activations per token at run time, int32 sums and a float32 epilogue; text token tables in int8 per row.
    /// Position and patch embeddings, norms, attention's QKᵀ and ·V, and the heads stay float32.
    /// </summary>
    Int8,
}
