using System.Runtime.InteropServices;

namespace Sieve.Tensors;

/// <summary>
/// A float buffer outside the managed heap whose memory leaves the process when it is disposed (its own pages on
/// Linux x64, <see cref="AnonymousPages"/>; native memory elsewhere): for a large tensor read once to be packed or
/// quantized into something smaller, which a pooled or GC array would leave resident.
/// </summary>
internal readonly unsafe struct NativeFloats : IDisposable
{
    readonly float* _start;
    readonly int _length;
    readonly nuint _mapped; // bytes mapped, 0 where the buffer came from NativeMemory

    public NativeFloats(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _length = length;
        nuint bytes = (nuint)Math.Max(length, 1) * sizeof(float);
        if (AnonymousPages.IsAvailable)
        {
            _mapped = AnonymousPages.Round(bytes);
            _start = (float*)AnonymousPages.Map(_mapped);
        }
        else _start = (float*)NativeMemory.Alloc(bytes);
    }

    public Span<float> Span => new(_start, _length);

    public void Dispose()
    {
        if (_mapped != 0) AnonymousPages.Unmap((nint)_start, _mapped);
        else NativeMemory.Free(_start);
    }
}
