using System.Diagnostics;
using Sieve.Tensors;

namespace Sieve.Eval;

/// <summary>One operation kind's share of a profiled workload (<see cref="BenchProfile"/>).</summary>
/// <param name="Kind">The <see cref="OpKind"/>'s name.</param>
/// <param name="Operation">What it is, for people.</param>
/// <param name="MsPerItem">Milliseconds per image or text.</param>
/// <param name="Share">Fraction of the recorded time.</param>
/// <param name="GFlops">2 × multiply-adds ÷ time, in billions per second; null for kinds without multiply-adds.</param>
internal sealed record OpShare(string Kind, string Operation, double MsPerItem, double Share, double? GFlops);

/// <summary>
/// Where a workload's Sieve time goes, from <see cref="OpProfile"/> over several runs: per operation kind, the time
/// recorded on the threads that ran a forward (each batch sample's own thread in throughput mode), per item.
/// In latency mode those times sum to the wall-clock time (<see cref="WallMsPerItem"/>); in throughput mode to it
/// times the threads that ran samples.
/// </summary>
/// <param name="Workload">The workload's name.</param>
/// <param name="Runs">Profiled runs.</param>
/// <param name="WallMsPerItem">Wall-clock milliseconds of the profiled runs, per item.</param>
/// <param name="RecordedMsPerItem">The kinds' times summed, per item.</param>
/// <param name="Operations">Every kind, in <see cref="OpKind"/> order.</param>
internal sealed record BenchProfile(string Workload, int Runs, double WallMsPerItem, double RecordedMsPerItem, IReadOnlyList<OpShare> Operations)
{
    /// <summary>Runs <paramref name="run"/> <paramref name="runs"/> times, profiled, pausing before each as the timing does.</summary>
    public static BenchProfile Measure(string workload, int items, int runs, Action run)
    {
        var profile = new OpProfile();
        long wall = 0;
        for (int i = 0; i < runs; i++)
        {
            Thread.Sleep(3); // as InterleavedTiming: the previous run's helpers are asleep again
            long start = Stopwatch.GetTimestamp();
            profile.Record(run);
            wall += Stopwatch.GetTimestamp() - start;
        }
        double perItem = 1.0 / ((double)runs * items);
        double recorded = profile.TotalMilliseconds;
        var operations = OpProfile.Kinds.Select(kind =>
        {
            double ms = profile.Milliseconds(kind);
            long macs = profile.Macs(kind);
            return new OpShare(kind.ToString(), Describe(kind), ms * perItem, recorded > 0 ? ms / recorded : 0,
                macs > 0 && ms > 0 ? 2.0 * macs / (ms * 1e6) : null);
        }).ToArray();
        return new BenchProfile(workload, runs, wall * 1000.0 / Stopwatch.Frequency * perItem, recorded * perItem, operations);
    }

    /// <summary>The kind as the table shows it.</summary>
    static string Describe(OpKind kind) => kind switch
    {
        OpKind.PatchEmbedding => "patch embedding",
        OpKind.LayerNorm => "LayerNorm / RMSNorm",
        OpKind.QkvProjection => "GEMM q, k, v projection",
        OpKind.Rotary => "rotary position embedding",
        OpKind.KeyValueCache => "key/value cache append",
        OpKind.OutProjection => "GEMM attention out-projection",
        OpKind.AttentionScores => "attention q·kᵀ",
        OpKind.Softmax => "attention softmax",
        OpKind.AttentionValues => "attention ·v",
        OpKind.Fc1 => "GEMM MLP fc1 / gate + up",
        OpKind.Fc2 => "GEMM MLP fc2 / down",
        OpKind.Activation => "GELU / QuickGELU / SiLU gate",
        OpKind.Residual => "residual sums",
        OpKind.Head => "GEMM LM head (logits)",
        OpKind.Reducer => "reducer (matching + merging)",
        OpKind.HandOff => "thread hand-offs (fork, join wait)",
        _ => "other (embeddings, heads, uncovered)",
    };

    /// <summary>Column headers of <see cref="Rows"/>.</summary>
    public static IReadOnlyList<string> Headers { get; } = ["operation", "ms per item", "share", "GFLOP/s"];

    /// <summary>What the profile tables mean.</summary>
    public const string Notes = "profile: each forward's time split by operation on the thread that ran it, nested operations excluded; " +
        "inside a parallel region that thread's items stand for all threads' and its wait for the others is a hand-off; " +
        "throughput batches add up every sample's thread, so their total exceeds the wall-clock time; GFLOP/s: 2 × multiply-adds ÷ that time";

    /// <summary>The table's title.</summary>
    public string Title => $"profile of Sieve, {Workload}: {Runs} runs, {WallMsPerItem:F2} ms per item wall-clock, {RecordedMsPerItem:F2} ms recorded";

    /// <summary>Each profile's title and GitHub Markdown table, after a blank line, then <see cref="Notes"/>.</summary>
    public static void WriteMarkdown(TextWriter output, IReadOnlyList<BenchProfile> profiles)
    {
        foreach (var profile in profiles)
        {
            output.WriteLine();
            MarkdownTable.Write(output, profile.Title, Headers, profile.Rows());
        }
        output.WriteLine(Environment.NewLine + Notes);
    }

    /// <summary>One row per kind that took any time, then the total.</summary>
    public IEnumerable<string[]> Rows() =>
        Operations.Where(o => o.MsPerItem > 0)
            .Select(o => new[] { o.Operation, $"{o.MsPerItem:F3}", $"{o.Share * 100:F1} %", o.GFlops is double g ? $"{g:F0}" : "—" })
            .Append(["total", $"{RecordedMsPerItem:F3}", "100.0 %", "—"]);
}
