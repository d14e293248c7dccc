using System.Text.Json;
using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>
/// The benchmark runner with a fake peer whose runs, like Sieve's, only write to a log: the phases come in order,
/// every engine is warmed up and timed the right number of times, the timed runs alternate, and the report holds
/// both engines' rows under the peer's names. No time is asserted.
/// </summary>
public class BenchRunnerTests
{
    /// <summary>A peer whose run of a workload logs "NAME:peer"; the workload's name travels as its input's first value.</summary>
    sealed class FakePeer(List<string> log, string[] names) : IBenchPeer
    {
        public PeerNames Names { get; } = new("Fake Peer", "FP", "FakePeer");
        public string Version => "9.9";
        public string PrepareDescription => "preparing the fake";

        public long Prepare()
        {
            log.Add("prepare");
            return 1 << 18; // 1 MiB of float32 weights
        }

        public void Load() => log.Add("load");

        public Action Bind(PeerInputs inputs)
        {
            string name = names[(int)((float[])inputs.Tensors[0].Values)[0]];
            log.Add($"bind {name} {inputs.Graph}");
            return () => log.Add($"{name}:peer");
        }
    }

    /// <summary>Records each step and how many of its parts were counted.</summary>
    sealed class Progress : IBenchProgress
    {
        public readonly List<(string Label, int Total, int Done)> Steps = [];

        public void Step(string label, Action work)
        {
            work();
            Steps.Add((label, 1, 1));
        }

        public Action Counter(string label, int total)
        {
            int index = Steps.Count;
            Steps.Add((label, total, 0));
            return () => Steps[index] = Steps[index] with { Done = Steps[index].Done + 1 };
        }
    }

    static BenchWorkload Workload(List<string> log, string name, int warmup, int runs, long macs) => new()
    {
        Name = name, Items = 2, Warmup = warmup, Runs = runs, SieveMacs = macs, Sieve = () => log.Add($"{name}:sieve"),
    };

    static IEnumerable<string> Repeat(string entry, int times) => Enumerable.Repeat(entry, times);

    /// <summary>Timed rounds of a pair: round k runs the pair rotated by k, so who goes first alternates.</summary>
    static IEnumerable<string> Alternating(string first, string second, int rounds) =>
        Enumerable.Range(0, rounds).SelectMany(k => k % 2 == 0 ? new[] { first, second } : [second, first]);

    [Fact]
    public void WarmsUpEveryEngineThenAlternatesTimedRunsAndReportsBoth()
    {
        var log = new List<string>();
        string[] names = ["vs peer", "alone", "reduced"];
        BenchWorkload[] workloads =
        [
            Workload(log, "vs peer", warmup: 2, runs: 3, macs: 1_000_000_000) with
            {
                Peer = new(PeerGraph.Text, [PeerTensor.Of([0f], 1)]), PeerMacs = 3_000_000_000,
            },
            Workload(log, "alone", warmup: 0, runs: 2, macs: 7),
            Workload(log, "reduced", warmup: 1, runs: 4, macs: 500) with { Dense = () => log.Add("reduced:dense"), DenseMacs = 2000 },
        ];
        var progress = new Progress();
        var report = BenchRunner.Run("fake model", workloads, new FakePeer(log, names), progress);

        string[] expected =
        [
            // Sieve's warm-up (at least one run) and the run its activation memory is read from.
            .. Repeat("vs peer:sieve", 3), .. Repeat("alone:sieve", 2), .. Repeat("reduced:sieve", 2),
            "prepare", "load", "bind vs peer Text", .. Repeat("vs peer:peer", 2),
            // Timed: rounds rounded up to a multiple of the engines (3 → 4), alternating; a lone workload runs alone.
            .. Alternating("vs peer:sieve", "vs peer:peer", 4), .. Repeat("alone:sieve", 2), .. Alternating("reduced:sieve", "reduced:dense", 4),
        ];
        Assert.Equal(expected, log);
        Assert.Equal(
            [("Sieve warm-up", 3, 3), ("preparing the fake", 1, 1), ("loading and warming up Fake Peer", 1, 1),
             ("timing vs peer", 4, 4), ("timing alone", 2, 2), ("timing reduced", 4, 4)],
            progress.Steps);

        Assert.Equal(names, report.Results.Select(r => r.Workload));
        var (vsPeer, alone, reduced) = (report.Results[0], report.Results[1], report.Results[2]);
        Assert.Equal(1.0, vsPeer.Sieve.GMacs);
        Assert.Equal(3.0, vsPeer.Peer!.GMacs);
        Assert.Equal(vsPeer.Sieve.MedianMs / vsPeer.Peer.MedianMs, vsPeer.SieveOverPeer);
        Assert.Equal(2 * 1000 / vsPeer.Peer.MedianMs, vsPeer.Peer.ItemsPerSecond);
        Assert.Null(vsPeer.SpeedupOverDense);
        Assert.Null(alone.Peer);
        Assert.Null(alone.SieveOverPeer);
        Assert.Null(alone.SpeedupOverDense);
        Assert.Null(reduced.Peer);
        Assert.Equal(0.25, reduced.GMacsRatio);
        Assert.NotNull(reduced.SpeedupOverDense);
        Assert.Equal(1.0, report.Memory.WeightsMiB);
        Assert.Equal("9.9", report.PeerVersion);

        // The peer's names, not ONNX Runtime's, in the table and in the JSON fields.
        Assert.Equal(["workload", "GMACs", "Sieve ms", "FP ms", "Sieve items/s", "FP items/s", "Sieve/FP", "Sieve activations MiB", "speed-up vs dense (GMACs ratio)"],
            report.Headers);
        Assert.All(report.Rows(), row => Assert.Equal(report.Headers.Count, row.Length));
        Assert.Equal("1.00 (FP 3.00)", report.Rows().First()[1]);
        var json = new StringWriter();
        report.WriteJson(json);
        var root = JsonDocument.Parse(json.ToString()).RootElement;
        Assert.Equal("9.9", root.GetProperty("fakePeerVersion").GetString());
        Assert.True(root.GetProperty("memory").TryGetProperty("fakePeerIncreaseMiB", out _));
        var first = root.GetProperty("results")[0];
        Assert.Equal(3.0, first.GetProperty("fakePeer").GetProperty("gMacs").GetDouble());
        Assert.Equal(vsPeer.SieveOverPeer!.Value, first.GetProperty("sieveOverFakePeer").GetDouble());
        Assert.False(root.TryGetProperty("peerNames", out _));
    }

    [Fact]
    public void RefusesAWorkloadTimedAgainstBothAPeerAndDenseBeforeRunningAnything()
    {
        var log = new List<string>();
        var both = Workload(log, "both", 1, 1, 1) with { Peer = new(PeerGraph.Image, [PeerTensor.Of([0f], 1)]), Dense = () => log.Add("dense") };
        var e = Assert.Throws<ArgumentException>(() => BenchRunner.Run("m", [both], new FakePeer(log, ["both"])));
        Assert.Contains("both: a workload is timed against a peer or against dense, not both", e.Message);
        Assert.Empty(log);
        Assert.Throws<ArgumentException>(() => PeerTensor.Of(new float[6], 2, 2));
    }
}
