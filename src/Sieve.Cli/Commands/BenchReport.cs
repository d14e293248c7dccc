using System.Text.Json;
using System.Text.Json.Serialization;
using Sieve.Eval;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>One engine's figures for one workload.</summary>
internal sealed record EngineResult(double GMacs, double MedianMs, double P90Ms, double ItemsPerSecond)
{
    public static EngineResult From(Timing t, long macs, int items) => new(macs / 1e9, t.Median, t.P90, items * 1000 / t.Median);
}

/// <summary>
/// A workload's results; <see cref="SieveOverOnnxRuntime"/> is Sieve's median time ÷ ONNX Runtime's (below 1: Sieve is
/// faster). For a reduced workload, <see cref="SpeedupOverDense"/> is dense Sieve's median ÷ this one's (timed
/// alternately in the same run) and <see cref="GMacsRatio"/> the reduced ÷ dense multiply-adds.
/// </summary>
/// <see cref="SieveActivationMiB"/> is the most activation memory one Sieve run held at once.
internal sealed record BenchResult(string Workload, int Items, EngineResult Sieve, EngineResult? OnnxRuntime, double? SieveOverOnnxRuntime,
    double SieveActivationMiB, double? SpeedupOverDense = null, double? GMacsRatio = null);

/// <summary>
/// Memory, in MiB of resident set, against the model's float32 weights. Sieve's peaks are taken before ONNX Runtime
/// is loaded: over the whole process (loading included) and while running only. ONNX Runtime's figure is the rise of
/// the peak while its sessions load and warm up. Telling the phases apart needs the peak to be reset
/// (<see cref="PhasesSeparated"/>, Linux); elsewhere both Sieve figures are the whole-process peak and ONNX Runtime's
/// is the rise of the resident size.
/// </summary>
internal sealed record BenchMemory(
    double WeightsMiB, double SievePeakMiB, double SieveRunningPeakMiB, double OnnxRuntimeIncreaseMiB, bool PhasesSeparated)
{
    public double SievePeakOverWeights => SievePeakMiB / WeightsMiB;
    public double SieveRunningPeakOverWeights => SieveRunningPeakMiB / WeightsMiB;
}

/// <summary>Everything <c>sieve bench</c> measured, as a table, Markdown or JSON.</summary>
internal sealed record BenchReport(string Model, int Threads, string SieveGemm, string OnnxRuntimeVersion, BenchMemory Memory, IReadOnlyList<BenchResult> Results)
{
    static readonly string[] AllHeaders = ["workload", "GMACs", "Sieve ms", "ORT ms", "Sieve items/s", "ORT items/s", "Sieve/ORT", "Sieve activations MiB", "speed-up vs dense (GMACs ratio)"];

    /// <summary>The reduced-vs-dense column only when a reducer was timed.</summary>
    string[] Headers => Results.Any(r => r.SpeedupOverDense != null) ? AllHeaders : AllHeaders[..^1];

    [JsonIgnore]
    public string Title => $"{Model}: dense, {Threads} threads; Sieve ({SieveGemm} GEMM) vs ONNX Runtime {OnnxRuntimeVersion}";

    [JsonIgnore]
    public string MemoryLine =>
        $"peak memory: Sieve {Memory.SievePeakMiB:F0} MiB = {Memory.SievePeakOverWeights:F2}× its {Memory.WeightsMiB:F0} MiB of float32 weights " +
        $"(running only: {Memory.SieveRunningPeakMiB:F0} MiB = {Memory.SieveRunningPeakOverWeights:F2}×); " +
        $"ONNX Runtime adds {Memory.OnnxRuntimeIncreaseMiB:F0} MiB ({(Memory.PhasesSeparated ? "peak" : "resident")} increase, sessions loaded and warmed up)";

    const string Notes = "ms: median / p90 of one run; Sieve/ORT: ratio of median times (below 1: Sieve is faster); " +
        "speed-up vs dense: dense Sieve's median ÷ the reduced one's, timed alternately; " +
        "activations: the most activation memory one Sieve run held at once (all samples of a batch); " +
        "GMACs are multiply-adds (= fvcore's \"GFLOPs\")";

    IEnumerable<string[]> Rows() => Results.Select(r => new[]
    {
        r.Workload,
        r.OnnxRuntime == null || r.OnnxRuntime.GMacs == r.Sieve.GMacs ? $"{r.Sieve.GMacs:F2}" : $"{r.Sieve.GMacs:F2} (ORT {r.OnnxRuntime.GMacs:F2})",
        $"{r.Sieve.MedianMs:F1} / {r.Sieve.P90Ms:F1}",
        r.OnnxRuntime == null ? "—" : $"{r.OnnxRuntime.MedianMs:F1} / {r.OnnxRuntime.P90Ms:F1}",
        $"{r.Sieve.ItemsPerSecond:F1}",
        r.OnnxRuntime == null ? "—" : $"{r.OnnxRuntime.ItemsPerSecond:F1}",
        r.SieveOverOnnxRuntime is double ratio ? $"{ratio:F2}" : "—",
        $"{r.SieveActivationMiB:F1}",
        r.SpeedupOverDense is double speedup ? $"{speedup:F2}× ({r.GMacsRatio:F2})" : "—",
    }.Take(Headers.Length).ToArray());

    /// <summary>A Spectre table on the console.</summary>
    public void WriteTable()
    {
        var table = new Table().Title(Markup.Escape(Title));
        foreach (var (header, i) in Headers.Select((h, i) => (h, i)))
            table.AddColumn(i == 0 ? new TableColumn(header) : new TableColumn(header).RightAligned().NoWrap()); // numbers are never split
        foreach (var row in Rows()) table.AddRow(row.Select(Markup.Escape).ToArray());
        CliConsole.Out.Write(table);
        CliConsole.Out.WriteLine(MemoryLine);
        CliConsole.Out.WriteLine(Notes);
    }

    /// <summary>A GitHub Markdown table, for documents.</summary>
    public void WriteMarkdown(TextWriter output)
    {
        output.WriteLine(Title);
        output.WriteLine();
        output.WriteLine($"| {string.Join(" | ", Headers)} |");
        output.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---:|", Headers.Length - 1))}");
        foreach (var row in Rows()) output.WriteLine($"| {string.Join(" | ", row)} |");
        output.WriteLine();
        output.WriteLine(MemoryLine + ". " + Notes + ".");
    }

    /// <summary>Indented camelCase JSON.</summary>
    public void WriteJson(TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
}
