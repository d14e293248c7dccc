namespace Sieve.Tensors;

/// <summary>Element-wise activation fused into a GEMM epilogue or applied in place.</summary>
public enum Activation
{
    /// <summary>Identity.</summary>
    None,
    /// <summary>Exact GELU, x·Φ(x) with the error function (PyTorch <c>nn.GELU()</c>).</summary>
    Gelu,
    /// <summary>x·σ(1.702·x), the approximation OpenAI's CLIP was trained with.</summary>
    QuickGelu,
}
