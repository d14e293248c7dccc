using System.Runtime.ExceptionServices;

namespace Sieve.Tensors;

/// <summary>
/// One call of <see cref="Threading.For"/> run in parallel: items handed out one at a time to whichever thread asks,
/// at most <c>helpers</c> threads besides the caller, and a join that waits for every item to finish.
/// </summary>
internal sealed class ParallelRegion(int count, int helpers, Action<int> body)
{
    // Spins briefly, then blocks: GEMM items end within microseconds, attention heads or text encodes may not.
    readonly ManualResetEventSlim _finished = new();
    int _next = -1, _left = count, _places = helpers;
    Exception? _error;

    /// <summary>Whether items are left to hand out.</summary>
    public bool HasItems => Volatile.Read(ref _next) + 1 < count;

    /// <summary>Takes one of the region's helper places; false when it has no items left or its helpers are all there.</summary>
    public bool TryJoin() => HasItems && Interlocked.Decrement(ref _places) >= 0;

    /// <summary>Runs items until none are left to hand out; an item's exception is kept for <see cref="Wait"/>.</summary>
    public void Work()
    {
        for (int i; (i = Interlocked.Increment(ref _next)) < count;)
        {
            try { body(i); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            if (Interlocked.Decrement(ref _left) == 0) _finished.Set();
        }
    }

    /// <summary>Waits for the items other threads started, then rethrows the first item's exception, if any.</summary>
    public void Wait()
    {
        // Not disposed: the last helper may still be inside Set, and without WaitHandle no OS handle exists.
        _finished.Wait();
        if (_error != null) ExceptionDispatchInfo.Throw(_error);
    }
}
