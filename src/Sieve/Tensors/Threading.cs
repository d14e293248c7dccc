namespace Sieve.Tensors;

/// <summary>
/// The parallel-for every kernel uses. Work is split into independent items (output panels, heads,
/// images) and each item is computed by exactly one thread in a fixed order, so results are bit-for-bit
/// the same whatever the thread count.
/// </summary>
public static class Threading
{
    static int _maxThreads = Environment.ProcessorCount;

    /// <summary>Most threads a kernel may use; defaults to the number of cores.</summary>
    public static int MaxThreads
    {
        get => _maxThreads;
        set => _maxThreads = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "thread count must be at least 1");
    }

    /// <summary>Runs <paramref name="body"/> for every index in [0, count), in parallel when it pays.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || _maxThreads == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _maxThreads }, body);
    }
}
