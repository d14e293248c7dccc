using System.Diagnostics;

namespace Sieve.Tensors;

/// <summary>
/// The threads that help a <see cref="ParallelRegion"/>'s caller: dedicated background threads, started as
/// <see cref="Threading.MaxThreads"/> asks, that take places in the open regions and, once out of work, spin for
/// <see cref="LingerMicroseconds"/> before they sleep. Callers always work on their own region, so progress never
/// depends on a helper.
/// </summary>
/// <remarks>
/// A forward opens a region per GEMM, attention and norm, microseconds to a few hundred apart. Regions used to be
/// offered to the thread pool, whose worker, once asleep, took 90–160 µs to start (measured on this 2-core VM), and
/// sometimes left a region to its caller alone for over a millisecond; a lingering helper joins the next region
/// 1–3 µs after it opens. In one process, alternating with the thread pool, 50–80 forwards each (2026-11-29): CLIP
/// ViT-B/16 float32 medians 116.7 / 107.5 / 113.4 / 126.7 ms against 119.6 / 107.7 / 122.9 / 146.1, int8 46.3 / 41.9
/// / 47.3 against 49.6 / 47.7 / 49.1, a llava-tiny decoding step 56.4 against 57.4 ms; the best runs (p10) alike,
/// the gain is in the runs a late wake-up had slowed.
/// </remarks>
internal static class HelperThreads
{
    /// <summary>How long a helper out of work spins before it sleeps.</summary>
    public const int LingerMicroseconds = 300;

    static readonly long LingerTicks = Stopwatch.Frequency * LingerMicroseconds / 1_000_000;
    static readonly List<ParallelRegion> Open = [];
    static readonly SemaphoreSlim Wake = new(0);
    static int _started, _sleeping;

    /// <summary>Offers <paramref name="region"/> to the helpers, starting more if fewer than <paramref name="helpers"/> exist.</summary>
    public static void Post(ParallelRegion region, int helpers)
    {
        while (Volatile.Read(ref _started) < helpers) Start(helpers);
        lock (Open) Open.Add(region);
        // Pairs with Sleep: either the sleeper sees the region, or this sees the sleeper and wakes it (the fence keeps the
        // read of the count after the region is published).
        Interlocked.MemoryBarrier();
        int sleeping = Volatile.Read(ref _sleeping);
        if (sleeping > 0) Wake.Release(Math.Min(sleeping, helpers));
    }

    /// <summary>Withdraws a finished region.</summary>
    public static void Close(ParallelRegion region)
    {
        lock (Open) Open.Remove(region);
    }

    static void Start(int helpers)
    {
        int index;
        lock (Open)
        {
            if (_started >= helpers) return;
            index = _started++;
        }
        new Thread(() => Run(index)) { IsBackground = true, Name = $"Sieve helper {index + 1}" }.Start();
    }

    static void Run(int index)
    {
        long idleSince = Stopwatch.GetTimestamp();
        while (true)
        {
            if (TryJoin() is { } region)
            {
                region.Work();
                idleSince = Stopwatch.GetTimestamp();
            }
            // Helpers past the current thread count do not linger: they would spin on a core the regions need.
            else if (index < Threading.MaxThreads - 1 && Stopwatch.GetTimestamp() - idleSince < LingerTicks) Thread.SpinWait(20);
            else
            {
                Sleep();
                idleSince = Stopwatch.GetTimestamp();
            }
        }
    }

    static void Sleep()
    {
        Interlocked.Increment(ref _sleeping);
        bool any;
        lock (Open) any = Open.Exists(r => r.HasItems);
        if (!any) Wake.Wait();
        Interlocked.Decrement(ref _sleeping);
    }

    /// <summary>A place in the newest open region that has items and room for a helper.</summary>
    static ParallelRegion? TryJoin()
    {
        lock (Open)
        {
            for (int i = Open.Count - 1; i >= 0; i--)
                if (Open[i].TryJoin()) return Open[i];
        }
        return null;
    }
}
