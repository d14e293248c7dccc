using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>y = x·Wᵀ + b with W packed once at construction (PyTorch <c>nn.Linear</c> layout [out, in]).</summary>
internal sealed class Linear
{
    readonly PackedMatrix _weight;
    readonly float[]? _bias;

    /// <summary>Input features.</summary>
    public int In { get; }

    /// <summary>Output features.</summary>
    public int Out { get; }

    /// <param name="weight">[out, in] row-major; only read here (the packed copy is kept).</param>
    /// <param name="bias">[out] or null.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    public Linear(ReadOnlySpan<float> weight, float[]? bias, int inFeatures, int outFeatures)
    {
        if (weight.Length != inFeatures * outFeatures)
            throw new ArgumentException($"weight has {weight.Length} values, expected {outFeatures}×{inFeatures}", nameof(weight));
        if (bias != null && bias.Length != outFeatures)
            throw new ArgumentException($"bias has {bias.Length} values, expected {outFeatures}", nameof(bias));
        _weight = PackedMatrix.FromOutputRows(weight, outFeatures, inFeatures);
        _bias = bias;
        In = inFeatures;
        Out = outFeatures;
    }

    /// <summary>Computes <paramref name="rows"/> rows of y = act(x·Wᵀ + b).</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y, Activation activation = Activation.None, bool parallel = true) =>
        Gemm.Multiply(x, In, rows, _weight, y, Out, _bias, activation, parallel);

    /// <summary>Multiply-adds of one forward over <paramref name="rows"/> rows.</summary>
    public long MacsFor(int rows) => (long)rows * In * Out;
}
