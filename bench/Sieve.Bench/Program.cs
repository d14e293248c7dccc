// GEMM speed against the peer: GFLOP/s of Sieve's packed GEMM (Vector512 and Vector256 paths) and of ONNX
// Runtime's MatMul on the ViT-B and attention shapes, 1 and 2 threads. The contenders take turns sample by
// sample (Sieve.Eval.InterleavedTiming), so load from other processes hits all of them alike; each figure is a median.
// Beside them, the float32 FMA peak a register-only loop reaches on every thread at once (FmaPeak), timed in the same rounds.
// With --int8: the int8 GEMM (every int8 path this machine has, activations quantized inside the call) against
// the float GEMM's best path on the ViT-B linear shapes, in GOP/s (2·M·K·N operations per call either way), and the
// generated 512-bit kernel against the vpdpbusd peak a register-only loop reaches (VnniPeak).
// Usage: dotnet run -c Release --project bench/Sieve.Bench [-- --runs N] [--markdown] [--int8]
using Sieve.Bench;
using Sieve.Eval;
using Sieve.Tensors;

int runs = 30;
bool markdown = false, int8 = false;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--markdown") markdown = true;
    else if (args[i] == "--int8") int8 = true;
    else if (args[i] == "--runs" && i + 1 < args.Length && int.TryParse(args[++i], out runs) && runs > 0) { }
    else { Console.Error.WriteLine("usage: Sieve.Bench [--runs N] [--markdown] [--int8]"); return 2; }
}
if (int8) return Int8Table(runs, markdown);

(int M, int K, int N, string What)[] shapes =
[
    (197, 768, 768, "ViT-B attn proj"), (197, 768, 3072, "ViT-B fc1"), (197, 3072, 768, "ViT-B fc2"),
    (394, 768, 768, "2×197 proj"), (394, 768, 3072, "2×197 fc1"), (394, 3072, 768, "2×197 fc2"),
    (197, 64, 197, "QKᵀ per head"), (197, 197, 64, "P·V per head"),
];
GemmPath[] paths = [.. new[] { GemmPath.Vector512, GemmPath.Vector256 }.Where(GemmPaths.IsSupported)];
var rows = new List<(string What, string Shape, int Threads, double[] Gflops, double Peak)>();
const long PeakIterations = 1_000_000; // ≈ 10 ms at the 512-bit peak: a helper's wake-up (≈ 0.1 ms) is lost in it
var rng = new Random(1);
foreach (var (m, k, n, what) in shapes)
{
    var a = new float[m * k];
    var w = new float[n * k]; // [N, K], a Linear weight; ORT gets B = Wᵀ
    for (int i = 0; i < a.Length; i++) a[i] = rng.NextSingle() - 0.5f;
    for (int i = 0; i < w.Length; i++) w[i] = rng.NextSingle() - 0.5f;
    var bt = new float[k * n];
    for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) bt[p * n + j] = w[j * k + p];
    var packed = PackedMatrix.FromOutputRows(w, n, k);
    var c = new float[m * n];
    var cOrt = new float[m * n];
    foreach (int threads in new[] { 1, 2 })
    {
        using var ort = new OnnxMatMul(a, bt, cOrt, m, k, n, threads);
        Threading.MaxThreads = threads;
        var contenders = paths.Select(p => (Action)(() => Gemm.Multiply(a, k, m, packed, c, n, default, Activation.None, true, p)))
            .Append(ort.Run).Append(OnEveryThread(threads, () => FmaPeak.Run(PeakIterations))).ToArray();
        double[] median = Interleaved(contenders, runs);
        rows.Add((what, $"{m}×{k}×{n}", threads, [.. median.SkipLast(1).Select(ms => 2.0 * m * k * n / ms / 1e6)],
            threads * FmaPeak.Operations(PeakIterations) / median[^1] / 1e6));
        double worst = c.Zip(cOrt, (x, y) => Math.Abs(x - y)).Max();
        if (worst > 1e-3 * Math.Sqrt(k)) Console.Error.WriteLine($"warning: {what} Sieve and ORT differ by {worst}");
    }
}

// Vector256 against its own best figure at the same thread count: how far each shape is from its peak.
int v256 = Array.IndexOf(paths, GemmPath.Vector256), ortColumn = paths.Length;
var peak256 = v256 < 0 ? [] : rows.GroupBy(r => r.Threads).ToDictionary(g => g.Key, g => g.Max(r => r.Gflops[v256]));
string[] header = ["shape", "M×K×N", "threads", .. paths.Select(p => $"{p} GFLOP/s"), "ORT GFLOP/s", .. paths.Select(p => $"{p}/ORT"),
    "FMA peak GFLOP/s", $"{paths[0]}/peak", "ORT/peak", .. v256 < 0 ? Array.Empty<string>() : ["Vector256/best"]];
var table = rows.Select(r => new[] { r.What, r.Shape, r.Threads.ToString() }
    .Concat(r.Gflops.Select(g => g.ToString("F0")))
    .Concat(paths.Select((_, p) => (r.Gflops[p] / r.Gflops[ortColumn]).ToString("F2")))
    .Concat([r.Peak.ToString("F0"), (r.Gflops[0] / r.Peak).ToString("P0"), (r.Gflops[ortColumn] / r.Peak).ToString("P0")])
    .Concat(v256 < 0 ? [] : [(r.Gflops[v256] / peak256[r.Threads]).ToString("P0")]).ToArray()).ToList();
Print(header, table, markdown);
Console.WriteLine();
Console.WriteLine($"{Environment.ProcessorCount} cores, {InterleavedTiming.TimedRounds(paths.Length + 2, runs)} interleaved samples per figure (median); " +
    $"FMA peak: a register-only loop of 24 independent {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 512 : 256)}-bit FMA chains on each thread, timed in the same rounds" +
    (v256 < 0 ? "" : $"; Vector256/best: against Vector256's best shape, {string.Join(", ", peak256.Select(p => $"{p.Value:F0} GFLOP/s at {p.Key} thread(s)"))}"));
return 0;

// Median milliseconds per call of each action, timed in interleaved rounds by the library's routine (as
// `sieve bench` is). A short GEMM would be lost in timer and scheduling noise, so a sample repeats the call
// enough times to last about a millisecond, a count taken from single calls first; the warm-up rounds let the
// JIT move every action to optimised code before anything is kept.
static double[] Interleaved(Action[] actions, int runs)
{
    var single = InterleavedTiming.Measure(actions, warmupRounds: 10, rounds: 3);
    int[] reps = [.. single.Select(t => Math.Clamp((int)(1 / t.Median), 1, 1000))];
    var repeated = actions.Select((act, i) => (Action)(() =>
    {
        for (int j = 0; j < reps[i]; j++) act();
    })).ToArray();
    return [.. InterleavedTiming.Measure(repeated, warmupRounds: 20, runs).Select((t, i) => t.Median / reps[i])];
}

// A peak loop run once on each of `threads` threads at the same time. Handed out as parallel items, a loop could run
// twice on the caller while a helper was still waking (and the "two-thread peak" be one thread's); the barrier holds
// every item until all threads hold one.
static Action OnEveryThread(int threads, Action loop) => () =>
{
    using var start = new Barrier(threads);
    Threading.For(threads, _ =>
    {
        start.SignalAndWait();
        loop();
    });
};

// Float GEMM (best path) against each int8 path on the linear shapes, 1 and 2 threads; where the machine has AVX-512
// VNNI and can map generated code, each VNNI kernel against the vpdpbusd peak of its width, the register-only loops
// timed in the same interleaved rounds (a peak timed apart moved by 20% between runs on this shared machine).
static int Int8Table(int runs, bool markdown)
{
    Int8GemmPath[] paths = [.. Enum.GetValues<Int8GemmPath>().Where(p => p != Int8GemmPath.Scalar && Int8GemmPaths.IsSupported(p))];
    bool peaks = Int8Vnni512Kernel.HardwareHasIt && ExecutableMemory.IsAvailable;
    using var wide = peaks ? new VnniPeak(512) : null;
    using var narrow = peaks ? new VnniPeak(256) : null;
    const long Iterations = 2_000_000; // ≈ 10 ms at the 512-bit peak: a helper's wake-up (≈ 0.1 ms) is lost in it
    var rng = new Random(1);
    var table = new List<string[]>();
    foreach (var (m, k, n, what) in new[] { (197, 768, 2304, "ViT-B qkv"), (197, 768, 768, "ViT-B attn proj"), (197, 768, 3072, "ViT-B fc1"),
        (197, 3072, 768, "ViT-B fc2"), (1576, 768, 3072, "8×197 fc1") })
    {
        var a = new float[m * k];
        var w = new float[n * k];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextSingle() - 0.5f;
        for (int i = 0; i < w.Length; i++) w[i] = (rng.NextSingle() - 0.5f) * 0.1f;
        var packed = PackedMatrix.FromOutputRows(w, n, k);
        var quantized = Int8Matrix.FromOutputRows(w, n, k);
        var c = new float[m * n];
        foreach (int threads in new[] { 1, 2 })
        {
            Threading.MaxThreads = threads;
            Action Loop(VnniPeak peak) => OnEveryThread(threads, () => peak.Run(Iterations));
            Action[] contenders = [() => Gemm.Multiply(a, k, m, packed, c, n),
                .. paths.Select(p => (Action)(() => Int8Gemm.Multiply(a, k, m, quantized, c, n, default, Activation.None, true, p))),
                .. peaks ? new[] { Loop(wide!), Loop(narrow!) } : []];
            double[] ms = Interleaved(contenders, runs);
            double[] gops = [.. ms.Take(paths.Length + 1).Select(t => 2.0 * m * k * n / t / 1e6)];
            string[] row = [what, $"{m}×{k}×{n}", threads.ToString(), .. gops.Select(g => g.ToString("F0")), .. gops.Skip(1).Select(g => (g / gops[0]).ToString("F2"))];
            if (peaks)
            {
                double peakWide = threads * wide!.Operations(Iterations) / ms[^2] / 1e6, peakNarrow = threads * narrow!.Operations(Iterations) / ms[^1] / 1e6;
                double Of(Int8GemmPath path) => Array.IndexOf(paths, path) is var at and >= 0 ? gops[at + 1] : double.NaN;
                row = [.. row, peakWide.ToString("F0"), (Of(Int8GemmPath.Avx512Vnni) / peakWide).ToString("P0"),
                    peakNarrow.ToString("F0"), (Of(Int8GemmPath.AvxVnni) / peakNarrow).ToString("P0")];
            }
            table.Add(row);
        }
    }
    string[] header = ["shape", "M×K×N", "threads", "float32 GFLOP/s", .. paths.Select(p => $"int8 {p} GOP/s"), .. paths.Select(p => $"{p}/float32")];
    if (peaks) header = [.. header, "512-bit peak GOP/s", "Avx512Vnni/peak", "256-bit peak GOP/s", "AvxVnni/peak"];
    Print(header, table, markdown);
    Console.WriteLine();
    Console.WriteLine($"{Environment.ProcessorCount} cores, {InterleavedTiming.TimedRounds(paths.Length + 1 + (peaks ? 2 : 0), runs)} interleaved samples per figure (median); float32 on {GemmPaths.Best}" +
        (peaks ? "; peaks: a register-only loop of 24 independent vpdpbusd per iteration on each thread" : "") +
        (Int8GemmPaths.Notice is { } notice ? $"; {notice}" : ""));
    return 0;
}

static void Print(string[] header, List<string[]> rows, bool markdown)
{
    if (markdown)
    {
        Console.WriteLine($"| {string.Join(" | ", header)} |");
        Console.WriteLine($"|{string.Join("|", header.Select((_, i) => i < 2 ? "---" : "---:"))}|");
        foreach (var row in rows) Console.WriteLine($"| {string.Join(" | ", row)} |");
        return;
    }
    int[] width = [.. header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max())];
    string Line(string[] cells) => string.Join("  ", cells.Select((s, i) => i < 2 ? s.PadRight(width[i]) : s.PadLeft(width[i])));
    Console.WriteLine(Line(header));
    foreach (var row in rows) Console.WriteLine(Line(row));
}
