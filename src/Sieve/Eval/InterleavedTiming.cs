using System.Diagnostics;

namespace Sieve.Eval;

/// <summary>
/// Times several cases against each other so that their ratios are fair: untimed warm-up rounds first (the JIT
/// settles, caches and the thread pool fill), then timed rounds in which every case runs once, the order rotated
/// by one place each round. Every case is timed the same number of times, sits in every position of a round
/// equally often, and shares each round's machine state with the others; ratios of the medians therefore do not
/// depend on the order the cases were given in (running them one after another credited whichever ran second
/// with the first one's warm-up).
/// </summary>
internal static class InterleavedTiming
{
    /// <summary>One run of the schedule.</summary>
    /// <param name="Round">Round, 0-based, warm-up rounds first.</param>
    /// <param name="Position">Place within the round.</param>
    /// <param name="Case">The case that runs.</param>
    /// <param name="Timed">False during warm-up.</param>
    internal readonly record struct Slot(int Round, int Position, int Case, bool Timed);

    /// <summary>Timed rounds actually run: <paramref name="rounds"/> rounded up to a multiple of the case count, so positions balance.</summary>
    public static int TimedRounds(int cases, int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cases, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        return (rounds + cases - 1) / cases * cases;
    }

    /// <summary>The runs in order: <paramref name="warmupRounds"/> untimed rounds, then <see cref="TimedRounds"/>; round k runs case (k + j) mod n at position j.</summary>
    internal static IEnumerable<Slot> Schedule(int cases, int warmupRounds, int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupRounds);
        int total = warmupRounds + TimedRounds(cases, rounds);
        for (int round = 0; round < total; round++)
            for (int position = 0; position < cases; position++)
                yield return new Slot(round, position, (round + position) % cases, round >= warmupRounds);
    }

    /// <summary>
    /// Each of <paramref name="rows"/> given its speed by <paramref name="withSpeed"/>: items per second from its median over
    /// <paramref name="items"/> items per run, and speed-up = the first row's (dense's) median ÷ its own, from one <see cref="Measure(IReadOnlyList{Action}, int, int, Action?)"/>.
    /// </summary>
    public static IReadOnlyList<T> WithSpeed<T>(IReadOnlyList<T> rows, IReadOnlyList<Timing> timings, int items, Func<T, double, double, T> withSpeed)
    {
        if (rows.Count != timings.Count) throw new ArgumentException($"{rows.Count} results but {timings.Count} timings", nameof(timings));
        return rows.Select((r, i) => withSpeed(r, items * 1000 / timings[i].Median, timings[0].Median / timings[i].Median)).ToArray();
    }

    /// <summary>Runs the schedule and returns each case's timed samples, in the order the cases were given.</summary>
    /// <param name="cases">The work to time, each run being one sample.</param>
    /// <param name="warmupRounds">Untimed rounds first.</param>
    /// <param name="rounds">Timed rounds (rounded up, <see cref="TimedRounds"/>).</param>
    /// <param name="afterRound">Null, or called after every round (progress).</param>
    public static IReadOnlyList<Timing> Measure(IReadOnlyList<Action> cases, int warmupRounds, int rounds, Action? afterRound = null) =>
        Measure(cases, warmupRounds, rounds, afterRound, Stopwatch.GetTimestamp, Stopwatch.Frequency, pause: () => Thread.Sleep(3));

    /// <summary><see cref="Measure(IReadOnlyList{Action}, int, int, Action?)"/> with the clock and the pause given (tests).</summary>
    internal static IReadOnlyList<Timing> Measure(IReadOnlyList<Action> cases, int warmupRounds, int rounds, Action? afterRound,
        Func<long> clock, long ticksPerSecond, Action pause)
    {
        var samples = cases.Select(_ => new List<double>()).ToArray();
        int round = 0;
        foreach (var slot in Schedule(cases.Count, warmupRounds, rounds))
        {
            if (slot.Round != round)
            {
                afterRound?.Invoke();
                round = slot.Round;
            }
            // Let the previous case's worker threads finish spinning and sleep: no run pays for another.
            pause();
            long start = clock();
            cases[slot.Case]();
            long elapsed = clock() - start;
            if (slot.Timed) samples[slot.Case].Add(elapsed * 1000.0 / ticksPerSecond);
        }
        afterRound?.Invoke();
        return samples.Select(s => new Timing(s)).ToArray();
    }
}
