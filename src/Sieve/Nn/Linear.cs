using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// y = x·Wᵀ + b with W packed once at construction (PyTorch <c>nn.Linear</c> layout [out, in]): as float32 for
/// <see cref="Gemm"/>, or quantized to int8 for <see cref="Int8Gemm"/> (<see cref="Tensors.Precision.Int8"/>).
/// </summary>
internal sealed class Linear
{
    readonly PackedMatrix? _weight;
    readonly Int8Matrix? _quantized;
    readonly float[]? _bias;

    /// <summary>Input features.</summary>
    public int In { get; }

    /// <summary>Output features.</summary>
    public int Out { get; }

    /// <summary>How the weight is stored and multiplied.</summary>
    public Precision Precision => _quantized != null ? Precision.Int8 : Precision.Float32;

    /// <param name="weight">[out, in] row-major; only read here (the packed copy is kept).</param>
    /// <param name="bias">[out] or null.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="precision">float32, or int8 weights quantized here.</param>
    public Linear(ReadOnlySpan<float> weight, float[]? bias, int inFeatures, int outFeatures, Precision precision = Precision.Float32)
    {
        if (weight.Length != inFeatures * outFeatures)
            throw new ArgumentException($"weight has {weight.Length} values, expected {outFeatures}×{inFeatures}", nameof(weight));
        if (bias != null && bias.Length != outFeatures)
            throw new ArgumentException($"bias has {bias.Length} values, expected {outFeatures}", nameof(bias));
        if (precision == Precision.Int8) _quantized = Int8Matrix.FromOutputRows(weight, outFeatures, inFeatures);
        else _weight = PackedMatrix.FromOutputRows(weight, outFeatures, inFeatures);
        _bias = bias;
        In = inFeatures;
        Out = outFeatures;
    }

    /// <summary>A linear layer over weights quantized already (a saved int8 checkpoint).</summary>
    /// <param name="weight">The packed int8 weight, [out, in].</param>
    /// <param name="bias">[out] or null.</param>
    public Linear(Int8Matrix weight, float[]? bias)
    {
        if (bias != null && bias.Length != weight.N)
            throw new ArgumentException($"bias has {bias.Length} values, expected {weight.N}", nameof(bias));
        _quantized = weight;
        _bias = bias;
        In = weight.K;
        Out = weight.N;
    }

    /// <summary>Computes <paramref name="rows"/> rows of y = act(x·Wᵀ + b).</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y, Activation activation = Activation.None, bool parallel = true)
    {
        if (_quantized != null) Int8Gemm.Multiply(x, In, rows, _quantized, y, Out, _bias, activation, parallel);
        else Gemm.Multiply(x, In, rows, _weight!, y, Out, _bias, activation, parallel);
    }

    /// <summary>Multiply-adds of one forward over <paramref name="rows"/> rows.</summary>
    public long MacsFor(int rows) => (long)rows * In * Out;
}
