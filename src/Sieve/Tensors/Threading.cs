using System.Runtime.ExceptionServices;

namespace Sieve.Tensors;

/// <summary>
/// The parallel-for every kernel uses. Work is split into independent items (output panels, heads,
/// images) and each item is computed by exactly one thread in a fixed order, so results are bit-for-bit
/// the same whatever the thread count.
/// </summary>
/// <remarks>
/// Two execution modes share it. Latency: one input, and <see cref="For"/> splits each kernel across
/// cores. Throughput: <see cref="ForEachSample"/> gives each core whole inputs, and every
/// <see cref="For"/> inside a sample runs on that sample's thread, without synchronisation.
/// </remarks>
public static class Threading
{
    static int _maxThreads = Environment.ProcessorCount;

    [ThreadStatic] static bool _insideSample;

    /// <summary>Most threads a kernel may use; defaults to the number of cores.</summary>
    public static int MaxThreads
    {
        get => _maxThreads;
        set => _maxThreads = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "thread count must be at least 1");
    }

    /// <summary>Runs <paramref name="body"/> for every index in [0, count), in parallel when it pays.</summary>
    /// <remarks>
    /// The calling thread works too, and waits only for items another thread has already started: a helper
    /// that is slow to be scheduled (a busy machine) costs nothing, where Parallel.For waited for it to run.
    /// Items are handed out one at a time, so a slow core simply takes fewer. The first exception is rethrown
    /// once every started item has finished.
    /// </remarks>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        int threads = Math.Min(count, _maxThreads);
        if (threads == 1 || _insideSample)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        RunParallel(count, threads, body);
    }

    static void RunParallel(int count, int threads, Action<int> body)
    {
        var loop = new Loop(count, body);
        using (OpProfile.Time(OpKind.HandOff))
            for (int t = 1; t < threads; t++) ThreadPool.UnsafeQueueUserWorkItem(static l => l.Work(), loop, preferLocal: false);
        loop.Work();
        using (OpProfile.Time(OpKind.HandOff)) loop.Wait();
    }

    sealed class Loop(int count, Action<int> body)
    {
        // Spins briefly, then blocks: GEMM items end within microseconds, attention heads or text encodes may not.
        readonly ManualResetEventSlim _finished = new();
        readonly int _count = count;
        int _next = -1, _left = count;
        Exception? _error;

        public void Work()
        {
            for (int i; (i = Interlocked.Increment(ref _next)) < _count;)
            {
                try { body(i); }
                catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
                if (Interlocked.Decrement(ref _left) == 0) _finished.Set();
            }
        }

        public void Wait()
        {
            // Not disposed: the last helper may still be inside Set, and without WaitHandle no OS handle exists.
            _finished.Wait();
            if (_error != null) ExceptionDispatchInfo.Throw(_error);
        }
    }

    /// <summary>
    /// Throughput mode: runs <paramref name="body"/> for every sample in [0, count), whole samples spread
    /// across cores, each sample's kernels single-threaded. A sample's result does not depend on which
    /// thread ran it or on the other samples.
    /// </summary>
    public static void ForEachSample(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || _maxThreads == 1 || _insideSample)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        var profile = OpProfile.Current; // each sample's thread records its own time into a profiled batch
        RunParallel(count, Math.Min(count, _maxThreads), i =>
        {
            _insideSample = true;
            try
            {
                if (profile == null) body(i);
                else OpProfile.RecordOnThisThread(profile, () => body(i));
            }
            finally { _insideSample = false; }
        });
    }
}
