namespace Sieve.Eval;

/// <summary>How an evaluation measures speed: every reducer timed on the same first items, in interleaved rounds (<see cref="InterleavedTiming"/>).</summary>
public sealed record SpeedOptions
{
    /// <summary>Validated timing settings.</summary>
    /// <param name="items">Items per timed run (the first ones; fewer when the evaluation has fewer).</param>
    /// <param name="rounds">Timed rounds, each running every reducer once (rounded up to a multiple of the reducer count).</param>
    /// <param name="warmupRounds">Untimed rounds first.</param>
    public SpeedOptions(int items = 16, int rounds = 10, int warmupRounds = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupRounds);
        (Items, Rounds, WarmupRounds) = (items, rounds, warmupRounds);
    }

    /// <summary>Items per timed run.</summary>
    public int Items { get; }

    /// <summary>Timed rounds asked for.</summary>
    public int Rounds { get; }

    /// <summary>Untimed rounds first.</summary>
    public int WarmupRounds { get; }
}
