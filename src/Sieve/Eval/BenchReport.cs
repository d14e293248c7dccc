using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sieve.Eval;

/// <summary>One engine's figures for one workload.</summary>
/// <param name="GMacs">Multiply-adds of one run, in billions.</param>
/// <param name="MedianMs">Median time of one run.</param>
/// <param name="P90Ms">90th-percentile time of one run.</param>
/// <param name="ItemsPerSecond">Images or texts per second at the median.</param>
internal sealed record EngineResult(double GMacs, double MedianMs, double P90Ms, double ItemsPerSecond)
{
    internal static EngineResult From(Timing t, long macs, int items) => new(macs / 1e9, t.Median, t.P90, items * 1000 / t.Median);
}

/// <summary>
/// A workload's results; <see cref="SieveOverPeer"/> is Sieve's median time ÷ the peer's (below 1: Sieve is
/// faster). For a reduced workload, <see cref="SpeedupOverDense"/> is dense Sieve's median ÷ this one's (timed
/// alternately in the same run) and <see cref="GMacsRatio"/> the reduced ÷ dense multiply-adds.
/// <see cref="SieveActivationMiB"/> is the most activation memory one Sieve run held at once.
/// </summary>
internal sealed record BenchResult(string Workload, int Items, EngineResult Sieve, EngineResult? Peer, double? SieveOverPeer,
    double SieveActivationMiB, double? SpeedupOverDense = null, double? GMacsRatio = null);

/// <summary>
/// Memory, in MiB of resident set, against the model's float32 weights. Sieve's peaks are taken before the peer
/// is loaded: over the whole process (loading included) and while running only. The peer's figure is the rise of
/// the peak while it loads and warms up. Telling the phases apart needs the peak to be reset
/// (<see cref="PhasesSeparated"/>, Linux); elsewhere both Sieve figures are the whole-process peak and the peer's
/// is the rise of the resident size.
/// </summary>
internal sealed record BenchMemory(double WeightsMiB, double SievePeakMiB, double SieveRunningPeakMiB, double PeerIncreaseMiB, bool PhasesSeparated)
{
    /// <summary>Sieve's whole-process peak ÷ the weights.</summary>
    public double SievePeakOverWeights => SievePeakMiB / WeightsMiB;

    /// <summary>Sieve's peak while running ÷ the weights.</summary>
    public double SieveRunningPeakOverWeights => SieveRunningPeakMiB / WeightsMiB;
}

/// <summary>Everything a benchmark measured (<see cref="BenchRunner"/>), as table rows, Markdown or JSON.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Threads">Sieve's thread count.</param>
/// <param name="SieveGemm">The GEMM path Sieve ran.</param>
/// <param name="PeerVersion">The peer's version.</param>
/// <param name="Memory">Memory figures.</param>
/// <param name="Results">One per workload, in order.</param>
/// <param name="PeerNames">How the peer is named in headers and JSON fields.</param>
/// <param name="Profiles">With <c>--profile</c>, where each workload's Sieve time goes; otherwise null (and absent from the JSON).</param>
internal sealed record BenchReport(string Model, int Threads, string SieveGemm, string PeerVersion, BenchMemory Memory, IReadOnlyList<BenchResult> Results,
    [property: JsonIgnore] PeerNames PeerNames, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<BenchProfile>? Profiles = null)
{
    /// <summary>The column headers; the reduced-vs-dense column only when a reducer was timed.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Headers
    {
        get
        {
            string peer = PeerNames.Abbreviation;
            string[] all = ["workload", "GMACs", "Sieve ms", $"{peer} ms", "Sieve items/s", $"{peer} items/s", $"Sieve/{peer}", "Sieve activations MiB", "speed-up vs dense (GMACs ratio)"];
            return Results.Any(r => r.SpeedupOverDense != null) ? all : all[..^1];
        }
    }

    /// <summary>The table's title: model, threads, both engines.</summary>
    [JsonIgnore]
    public string Title => $"{Model}: dense, {Threads} threads; Sieve ({SieveGemm} GEMM) vs {PeerNames.Name} {PeerVersion}";

    /// <summary>The memory figures as a sentence.</summary>
    [JsonIgnore]
    public string MemoryLine =>
        $"peak memory: Sieve {Memory.SievePeakMiB:F0} MiB = {Memory.SievePeakOverWeights:F2}× its {Memory.WeightsMiB:F0} MiB of float32 weights " +
        $"(running only: {Memory.SieveRunningPeakMiB:F0} MiB = {Memory.SieveRunningPeakOverWeights:F2}×); " +
        $"{PeerNames.Name} adds {Memory.PeerIncreaseMiB:F0} MiB ({(Memory.PhasesSeparated ? "peak" : "resident")} increase, sessions loaded and warmed up)";

    /// <summary>What the columns mean.</summary>
    [JsonIgnore]
    public string Notes => $"ms: median / p90 of one run; Sieve/{PeerNames.Abbreviation}: ratio of median times (below 1: Sieve is faster); " +
        "speed-up vs dense: dense (float32) Sieve's median ÷ the reduced or int8 one's, timed alternately; " +
        "activations: the most activation memory one Sieve run held at once (all samples of a batch); " +
        "GMACs are multiply-adds (= fvcore's \"GFLOPs\")";

    /// <summary>The table's cells, one row per result, as many cells as <see cref="Headers"/>.</summary>
    public IEnumerable<string[]> Rows()
    {
        int columns = Headers.Count;
        return Results.Select(r => new[]
        {
            r.Workload,
            r.Peer == null || r.Peer.GMacs == r.Sieve.GMacs ? $"{r.Sieve.GMacs:F2}" : $"{r.Sieve.GMacs:F2} ({PeerNames.Abbreviation} {r.Peer.GMacs:F2})",
            $"{r.Sieve.MedianMs:F1} / {r.Sieve.P90Ms:F1}",
            r.Peer == null ? "—" : $"{r.Peer.MedianMs:F1} / {r.Peer.P90Ms:F1}",
            $"{r.Sieve.ItemsPerSecond:F1}",
            r.Peer == null ? "—" : $"{r.Peer.ItemsPerSecond:F1}",
            r.SieveOverPeer is double ratio ? $"{ratio:F2}" : "—",
            $"{r.SieveActivationMiB:F1}",
            r.SpeedupOverDense is double speedup ? $"{speedup:F2}× ({r.GMacsRatio:F2})" : "—",
        }.Take(columns).ToArray());
    }

    /// <summary>A GitHub Markdown table, for documents.</summary>
    public void WriteMarkdown(TextWriter output)
    {
        MarkdownTable.Write(output, Title, Headers, Rows());
        output.WriteLine();
        output.WriteLine(MemoryLine + ". " + Notes + ".");
        if (Profiles != null) BenchProfile.WriteMarkdown(output, Profiles);
    }

    /// <summary>Indented camelCase JSON; the peer's fields are named after it ("onnxRuntime", "sieveOverOnnxRuntime", …).</summary>
    public void WriteJson(TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = new PeerNaming(PeerNames.Identifier) }));

    /// <summary>camelCase, with "Peer" in a property's name replaced by the peer's identifier.</summary>
    sealed class PeerNaming(string identifier) : JsonNamingPolicy
    {
        public override string ConvertName(string name) => CamelCase.ConvertName(name.Replace("Peer", identifier, StringComparison.Ordinal));
    }
}
