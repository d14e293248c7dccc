using System.Buffers;

namespace Sieve.Tensors;

/// <summary>
/// The pool every forward rents its activations from, and its high-water mark: the bytes of activation
/// buffers held at once (as asked for, not the pool's rounded-up array sizes). This is how benchmarks
/// report what a reducer saves in memory — process memory is dominated by the weights.
/// </summary>
internal static class ActivationMemory
{
    static long _current, _peak;

    /// <summary>Activation bytes held right now, over all threads.</summary>
    public static long CurrentBytes => Interlocked.Read(ref _current);

    /// <summary>Most activation bytes held at once since the last <see cref="ResetPeak"/>.</summary>
    public static long PeakBytes => Interlocked.Read(ref _peak);

    /// <summary>Starts a new high-water mark from what is held now.</summary>
    public static void ResetPeak() => Interlocked.Exchange(ref _peak, CurrentBytes);

    /// <summary>A buffer of at least <paramref name="length"/> floats; give it back with the same length.</summary>
    internal static float[] Rent(int length)
    {
        long now = Interlocked.Add(ref _current, 4L * length);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
        return ArrayPool<float>.Shared.Rent(length);
    }

    /// <summary>Returns a buffer rented for <paramref name="length"/> floats.</summary>
    internal static void Return(float[] array, int length)
    {
        Interlocked.Add(ref _current, -4L * length);
        ArrayPool<float>.Shared.Return(array);
    }
}
