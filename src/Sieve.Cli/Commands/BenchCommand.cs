using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Sieve.Eval;
using Sieve.Models;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve bench [--model DIR]</c>: dense latency (median, p90), throughput, GMACs and peak memory.
/// Without a model it runs the built-in default, a randomly initialised CLIP ViT-B/16 (timings do not
/// depend on weight values).
/// </summary>
internal static class BenchCommand
{
    sealed record Row(string Workload, double GMacs, double MedianMs, double P90Ms, double ItemsPerSecond);

    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model folder (default: random CLIP ViT-B/16, 224 px, 77 text tokens)" };
        var runs = new Option<int>("--runs") { Description = "Timed repetitions per workload", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed repetitions first", DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch") { Description = "Images per throughput batch", DefaultValueFactory = _ => 8 };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON instead of a table" };
        var threads = CliOptions.Threads();
        foreach (var o in new[] { runs, batch })
            o.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{o.Name} must be at least 1"); });
        warmup.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--warmup must not be negative"); });
        var command = new Command("bench", "Measure dense inference speed and memory (default: random CLIP ViT-B/16)") { model, runs, warmup, batch, json, threads };
        command.SetAction(r =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            string? dir = r.GetValue(model);
            int n = r.GetValue(runs), w = r.GetValue(warmup), b = r.GetValue(batch);
            bool asJson = r.GetValue(json);
            var rows = new List<Row>();
            string name = dir ?? "CLIP ViT-B/16 (random weights)";

            void Stage(string label, Action work)
            {
                if (asJson) work();
                else AnsiConsole.Status().Spinner(Spinner.Known.Dots).Start(label, _ => work());
            }

            IImageEncoder encoder = null!;
            Stage($"building {name}", () =>
            {
                encoder = dir == null ? ClipModel.CreateRandom(ClipConfig.VitB16) : ModelFolder.Load(dir);
                // Loading leaves the unpacked weights as garbage; collect it now, not inside the timed runs.
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            });
            var (imageSize, imageMacs, image) = encoder switch
            {
                VitModel vit => (vit.Config.ImageSize, vit.Macs, (Func<float[], float[]>)(p => vit.Features(p))),
                ClipModel clip => (clip.Config.ImageSize, clip.Vision.Macs, p => clip.Vision.Encode(p)),
                _ => throw new InvalidOperationException($"no benchmark for {encoder.GetType().Name}"),
            };
            var pixels = new float[3 * imageSize * imageSize];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = MathF.Sin(i * 0.37f); // deterministic, image-like range

            Stage("image encoding, batch 1", () =>
            {
                var t = Timing.Measure(() => image(pixels), w, n);
                rows.Add(new Row("image, batch 1 (latency)", imageMacs / 1e9, t.Median, t.P90, 1000 / t.Median));
            });
            Stage($"image encoding, batch {b}", () =>
            {
                var t = Timing.Measure(() => { for (int i = 0; i < b; i++) image(pixels); }, Math.Min(w, 1), Math.Max(3, n / b));
                rows.Add(new Row($"image, batch {b} (throughput)", b * imageMacs / 1e9, t.Median, t.P90, b * 1000 / t.Median));
            });
            if (encoder is ClipModel c)
            {
                int tokens = c.Config.MaxPositions;
                var ids = Enumerable.Range(0, tokens).Select(i => i == tokens - 1 ? c.Config.EosTokenId : 1 + i * 7919 % (c.Config.VocabSize - 2)).ToArray();
                Stage($"text encoding, {tokens} tokens", () =>
                {
                    var t = Timing.Measure(() => c.Text.Encode(ids), w, n);
                    rows.Add(new Row($"text, {tokens} tokens, batch 1", c.Text.MacsFor(tokens) / 1e9, t.Median, t.P90, 1000 / t.Median));
                });
            }
            double peakMiB = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;

            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { model = name, threads = Sieve.Tensors.Threading.MaxThreads, peakMemoryMiB = peakMiB, results = rows },
                    new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
                return 0;
            }
            var table = new Table().Title($"{Markup.Escape(name)} — dense Sieve, {Sieve.Tensors.Threading.MaxThreads} threads, {Sieve.Tensors.GemmPaths.Best} GEMM")
                .AddColumn("workload").AddColumn(new TableColumn("GMACs").RightAligned()).AddColumn(new TableColumn("median ms").RightAligned())
                .AddColumn(new TableColumn("p90 ms").RightAligned()).AddColumn(new TableColumn("items/s").RightAligned()).AddColumn(new TableColumn("GFLOP/s").RightAligned());
            foreach (var row in rows)
                table.AddRow(row.Workload, $"{row.GMacs:F2}", $"{row.MedianMs:F1}", $"{row.P90Ms:F1}", $"{row.ItemsPerSecond:F1}", $"{2 * row.GMacs / (row.MedianMs / 1000):F0}");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"peak memory {peakMiB:F0} MiB · GMACs are multiply-adds (= fvcore's \"GFLOPs\"); GFLOP/s counts 2 FLOPs per MAC");
            return 0;
        });
        return command;
    }
}
