using Sieve.Tensors;

namespace Sieve.Eval;

/// <summary>
/// Benchmarks Sieve against a peer engine (<see cref="IBenchPeer"/>) and reduced workloads against dense Sieve:
/// latency (median, p90), throughput, multiply-adds, activation and peak memory.
/// </summary>
/// <remarks>
/// Phases, in this order so that each memory figure is one engine's: Sieve's peak resident memory so far (the
/// model built) is read; every workload is warmed up in Sieve, and the peak while running read; then the peer
/// prepares and loads its model and warms up, and the rise in peak memory is read; then each workload's timed
/// runs alternate Sieve and its comparison (<see cref="InterleavedTiming"/>, who goes first alternating too), so
/// both see the same machine load.
/// </remarks>
internal static class BenchRunner
{
    const double MiB = 1048576.0;

    /// <summary>Runs <paramref name="workloads"/> on Sieve and on <paramref name="peer"/> and reports the figures.</summary>
    /// <param name="model">The model's name in the report.</param>
    /// <param name="workloads">The workloads, in report order; each has at most one of a peer run and a dense run.</param>
    /// <param name="peer">The engine compared with (owned by the caller).</param>
    /// <param name="progress">Null, or shown each phase.</param>
    /// <param name="profile">After the timing, run each workload's Sieve runs again under <see cref="OpProfile"/> (<see cref="BenchReport.Profiles"/>).</param>
    public static BenchReport Run(string model, IReadOnlyList<BenchWorkload> workloads, IBenchPeer peer, IBenchProgress? progress = null, bool profile = false)
    {
        foreach (var w in workloads)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(w.Items, 1, $"{w.Name}: items");
            ArgumentOutOfRangeException.ThrowIfNegative(w.Warmup, $"{w.Name}: warm-up runs");
            ArgumentOutOfRangeException.ThrowIfLessThan(w.Runs, 1, $"{w.Name}: runs");
            if (w.Peer != null && w.Dense != null) throw new ArgumentException($"{w.Name}: a workload is timed against a peer or against dense, not both", nameof(workloads));
        }
        // Building the model can leave more garbage than running ever allocates: collect it, and report its peak apart.
        CollectGarbage();
        long loadPeak = ProcessMemory.Peak;
        bool phasesSeparated = ProcessMemory.TryResetPeak();
        var activationBytes = new long[workloads.Count];
        var sieveWarmup = Counter(progress, "Sieve warm-up", workloads.Count);
        for (int i = 0; i < workloads.Count; i++)
        {
            var w = workloads[i];
            for (int run = 0; run < Math.Max(1, w.Warmup); run++) w.Sieve();
            ActivationMemory.ResetPeak();
            w.Sieve();
            activationBytes[i] = ActivationMemory.PeakBytes - ActivationMemory.CurrentBytes;
            sieveWarmup();
        }
        long runningPeak = ProcessMemory.Peak;

        long parameters = 0;
        Step(progress, peer.PrepareDescription, () =>
        {
            parameters = peer.Prepare();
            CollectGarbage();
        });
        long before = ProcessMemory.Current;
        ProcessMemory.TryResetPeak();
        var peerRuns = new Action?[workloads.Count];
        Step(progress, $"loading and warming up {peer.Names.Name}", () =>
        {
            peer.Load();
            for (int i = 0; i < workloads.Count; i++)
            {
                if (workloads[i].Peer is not { } inputs) continue;
                var run = peerRuns[i] = peer.Bind(inputs);
                for (int k = 0; k < Math.Max(1, workloads[i].Warmup); k++) run();
            }
        });
        long peerIncrease = (phasesSeparated ? ProcessMemory.Peak : ProcessMemory.Current) - before;

        var results = new List<BenchResult>(workloads.Count);
        for (int i = 0; i < workloads.Count; i++)
        {
            var w = workloads[i];
            var other = peerRuns[i] ?? w.Dense;
            Action[] runs = other == null ? [w.Sieve] : [w.Sieve, other];
            var timings = InterleavedTiming.Measure(runs, warmupRounds: 0, w.Runs,
                Counter(progress, $"timing {w.Name}", InterleavedTiming.TimedRounds(runs.Length, w.Runs)));
            var sieve = EngineResult.From(timings[0], w.SieveMacs, w.Items);
            var onPeer = peerRuns[i] == null ? null : EngineResult.From(timings[1], w.PeerMacs, w.Items);
            var dense = w.Dense == null ? null : timings[1];
            results.Add(new BenchResult(w.Name, w.Items, sieve, onPeer, onPeer == null ? null : sieve.MedianMs / onPeer.MedianMs, activationBytes[i] / MiB,
                dense == null ? null : dense.Median / sieve.MedianMs, dense == null ? null : (double)w.SieveMacs / w.DenseMacs));
        }
        // Profiled apart from the timing, so that the profile's own clock reads cost the timed runs nothing.
        var profiles = profile ? workloads.Select(w =>
        {
            BenchProfile measured = null!;
            Step(progress, $"profiling {w.Name}", () => measured = BenchProfile.Measure(w.Name, w.Items, w.Runs, w.Sieve));
            return measured;
        }).ToArray() : null;
        return new BenchReport(model, Threading.MaxThreads, GemmPaths.Best.ToString(), peer.Version,
            new BenchMemory(parameters * 4 / MiB, Math.Max(loadPeak, runningPeak) / MiB, runningPeak / MiB, peerIncrease / MiB, phasesSeparated),
            results, peer.Names, profiles);
    }

    static void CollectGarbage() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    static void Step(IBenchProgress? progress, string label, Action work)
    {
        if (progress == null) work();
        else progress.Step(label, work);
    }

    static Action Counter(IBenchProgress? progress, string label, int total) => progress?.Counter(label, total) ?? (() => { });
}
