// Kernel speed harness: GFLOP/s of the packed GEMM on the ViT-B and attention shapes, for every
// accelerated path and for 1 and 2 threads. Usage: dotnet run -c Release --project bench/Sieve.Bench [-- --runs N]
using Sieve.Eval;
using Sieve.Tensors;

int runs = args.Length == 2 && args[0] == "--runs" && int.TryParse(args[1], out int r) && r > 0 ? r : 20;
(int M, int K, int N, string What)[] shapes =
[
    (197, 768, 768, "ViT-B attn proj"), (197, 768, 3072, "ViT-B fc1"), (197, 3072, 768, "ViT-B fc2"),
    (394, 768, 768, "2×197 proj"), (394, 768, 3072, "2×197 fc1"), (394, 3072, 768, "2×197 fc2"),
    (197, 64, 197, "QKᵀ per head"), (197, 197, 64, "P·V per head"),
];
Console.WriteLine($"{"shape",-18} {"M×K×N",-16} {"path",-10} {"threads",7} {"median ms",10} {"GFLOP/s",8}");
var rng = new Random(1);
foreach (var (m, k, n, what) in shapes)
{
    var a = new float[m * k];
    var w = new float[n * k];
    for (int i = 0; i < a.Length; i++) a[i] = rng.NextSingle() - 0.5f;
    for (int i = 0; i < w.Length; i++) w[i] = rng.NextSingle() - 0.5f;
    var b = PackedMatrix.FromOutputRows(w, n, k);
    var c = new float[m * n];
    foreach (var path in Enum.GetValues<GemmPath>().Where(GemmPaths.IsSupported).Reverse())
        foreach (int threads in new[] { 1, 2 })
        {
            Threading.MaxThreads = threads;
            var t = Timing.Measure(() => Gemm.Multiply(a, k, m, b, c, n, default, Activation.None, threads > 1, path), 3, runs);
            Console.WriteLine($"{what,-18} {$"{m}×{k}×{n}",-16} {path,-10} {threads,7} {t.Median,10:F3} {2.0 * m * k * n / t.Median / 1e6,8:F0}");
        }
}
