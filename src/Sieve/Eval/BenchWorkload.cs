namespace Sieve.Eval;

/// <summary>
/// One benchmark workload: how Sieve runs it and what it is timed against — a peer engine on the same inputs
/// (<see cref="Peer"/>), or, for a reduced workload, dense Sieve (<see cref="Dense"/>); at most one of the two.
/// </summary>
internal sealed record BenchWorkload
{
    /// <summary>What is run, e.g. "image, batch 1".</summary>
    public required string Name { get; init; }

    /// <summary>Images or texts one run processes.</summary>
    public required int Items { get; init; }

    /// <summary>Untimed runs first, per engine (at least one runs).</summary>
    public required int Warmup { get; init; }

    /// <summary>Timed runs (<see cref="InterleavedTiming.TimedRounds"/> rounds it up to balance the engines).</summary>
    public required int Runs { get; init; }

    /// <summary>Multiply-adds Sieve performs in one run.</summary>
    public required long SieveMacs { get; init; }

    /// <summary>One Sieve run.</summary>
    public required Action Sieve { get; init; }

    /// <summary>What the peer runs on, bound by <see cref="IBenchPeer.Bind"/>; null when the workload is Sieve's alone.</summary>
    public PeerInputs? Peer { get; init; }

    /// <summary>Multiply-adds the peer performs in one run (more than Sieve's when it must pad).</summary>
    public long PeerMacs { get; init; }

    /// <summary>For a reduced workload: the dense Sieve run it is compared with, timed alternately with it.</summary>
    public Action? Dense { get; init; }

    /// <summary>Multiply-adds of the dense counterpart.</summary>
    public long DenseMacs { get; init; }
}
