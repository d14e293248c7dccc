namespace Sieve.Tensors;

/// <summary>
/// Per-inference temporaries rented from a shared pool instead of allocated per call: a ViT-B forward
/// needs ~100 MB of short-lived activations, and fresh large arrays cost page faults and full GCs.
/// Rented arrays may be longer than asked and hold stale values; callers write before they read.
/// </summary>
internal readonly struct Scratch : IDisposable
{
    readonly float[] _array;
    readonly int _length;

    public Scratch(int length)
    {
        _array = ActivationMemory.Rent(length);
        _length = length;
    }

    public Span<float> Span => _array.AsSpan(0, _length);

    /// <summary>The rented array itself (for lambdas, which cannot capture spans); index within <see cref="Span"/>'s length.</summary>
    public float[] Array => _array;

    public void Dispose() => ActivationMemory.Return(_array, _length);
}
