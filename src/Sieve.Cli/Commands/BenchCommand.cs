using System.CommandLine;
using Sieve.Eval;
using Sieve.Export;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve bench [--model DIR]</c>: dense Sieve against ONNX Runtime running the same weights (exported with
/// <see cref="OnnxExporter"/>): latency (median, p90), throughput, GMACs and peak memory; with <c>--reducer</c>,
/// reduced against dense Sieve. Without a model it runs a built-in randomly initialised one (timings do not
/// depend on weight values): CLIP ViT-B/16, or with <c>--random vilt-b32</c> ViLT-B/32 answering a 40-token
/// question about a 384×384 image.
/// </summary>
/// <remarks>
/// Phases, in this order so that each memory figure is one engine's: Sieve is built, and its peak resident memory
/// read; it is warmed up, and its peak while running read; then the ONNX models are written to a temporary folder, loaded into ONNX Runtime and
/// warmed up, and the rise in peak memory read; then each workload's timed runs alternate Sieve and ONNX Runtime
/// (who goes first alternates too), so both see the same machine load.
/// </remarks>
internal static class BenchCommand
{
    sealed record Settings(string? Model, string Random, int Runs, int Warmup, int Batch, IReadOnlyList<ModelReduction> Reducers);

    const string ClipB16 = "clip-b16", ViltB32 = "vilt-b32";

    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model folder or Hub repository id: timm ViT, CLIP or ViLT (default: a random model, see --random)" };
        var random = new Option<string>("--random") { Description = $"Built-in random model when no --model is given: {ClipB16} (224 px, 77 text tokens) or {ViltB32} (VQA, 384×384, 40 text tokens)", DefaultValueFactory = _ => ClipB16 };
        random.AcceptOnlyFromAmong(ClipB16, ViltB32);
        var runs = NumberOptions.Integer("--runs", "Timed repetitions per workload (batches: runs ÷ batch, at least 3)", 20, 1, 100_000);
        var warmup = NumberOptions.Integer("--warmup", "Untimed repetitions first, per engine (at least one runs, to measure memory)", 3, 0, 10_000);
        // A batch holds every image's activations at once: 512 CLIP ViT-B/16 images are already several GB.
        var batch = NumberOptions.Integer("--batch", "Images (and texts) per throughput batch", 8, 1, 512);
        var json = new Option<bool>("--json") { Description = "Print the results as JSON (no progress display)" };
        var markdown = new Option<bool>("--markdown") { Description = "Print the results as a Markdown table (no progress display)" };
        var reducers = new Option<string[]>("--reducer", "-r") { Description = "Also time Sieve with this token reducer against dense (repeatable), e.g. crossget:r=16", AllowMultipleArgumentsPerToken = true };
        var threads = CliOptions.Threads();
        var command = new Command("bench", "Speed and memory: Sieve vs ONNX Runtime, and reduced vs dense with --reducer (default: random CLIP ViT-B/16)")
        {
            model, random, runs, warmup, batch, reducers, json, markdown, threads,
        };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            bool asJson = r.GetValue(json), asMarkdown = r.GetValue(markdown);
            if (asJson && asMarkdown) throw new ArgumentException("give at most one of --json and --markdown");
            var specs = (r.GetValue(reducers) ?? []).Select(spec => CliOptions.Reduction(spec, null).Spec).Where(spec => !spec.IsNone).ToList();
            var settings = new Settings(r.GetValue(model) is { } m ? await CliOptions.ResolveModelAsync(m, asJson || asMarkdown, cancellationToken) : null, r.GetValue(random)!,
                r.GetValue(runs), r.GetValue(warmup), r.GetValue(batch), specs);
            BenchReport report = null!;
            if (asJson || asMarkdown) report = Measure(settings, new Stages(null));
            else
                CliConsole.Error.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                    .Start(ctx => report = Measure(settings, new Stages(ctx)));

            var output = r.InvocationConfiguration.Output;
            if (asJson) report.WriteJson(output);
            else if (asMarkdown) report.WriteMarkdown(output);
            else report.WriteTable();
            return 0;
        });
        return command;
    }

    /// <summary>Progress lines while the benchmark runs (none when <c>ctx</c> is null: --json, --markdown).</summary>
    sealed class Stages(ProgressContext? ctx)
    {
        public void Run(string label, Action work)
        {
            var task = ctx?.AddTask(label, maxValue: 1);
            if (task != null) task.IsIndeterminate = true;
            work();
            task?.Increment(1);
            task?.StopTask();
        }

        public Action Counter(string label, int total)
        {
            var task = ctx?.AddTask(label, maxValue: total);
            return () => task?.Increment(1);
        }
    }

    static BenchReport Measure(Settings s, Stages stages)
    {
        string name = s.Model ?? (s.Random == ViltB32 ? "ViLT-B/32 (random weights)" : "CLIP ViT-B/16 (random weights)");
        const int seed = 0;
        IModel model = null!;
        stages.Run($"building {name}", () =>
        {
            model = s.Model switch
            {
                null => s.Random == ViltB32 ? ViltModel.CreateRandom(ViltConfig.B32, seed) : ClipModel.CreateRandom(ClipConfig.VitB16, seed),
                var directory => ModelFolder.LoadAny(directory),
            };
            // Loading leaves the unpacked weights as garbage; collect it now, not inside the measurements.
            CollectGarbage();
        });
        var cases = Cases(model, s);

        // Loading can leave more garbage than running ever allocates: its peak is reported apart.
        long loadPeak = ProcessMemory.Peak;
        bool phasesSeparated = ProcessMemory.TryResetPeak();
        var sieveWarmup = stages.Counter("Sieve warm-up", cases.Count);
        foreach (var c in cases)
        {
            for (int i = 0; i < Math.Max(1, c.Warmup); i++) c.Sieve();
            ActivationMemory.ResetPeak();
            c.Sieve();
            c.SieveActivationBytes = ActivationMemory.PeakBytes - ActivationMemory.CurrentBytes;
            sieveWarmup();
        }
        long runningPeak = ProcessMemory.Peak;

        var folder = Directory.CreateTempSubdirectory("sieve-bench-");
        try
        {
            string imagePath = Path.Combine(folder.FullName, "image.onnx"), textPath = Path.Combine(folder.FullName, "text.onnx");
            long parameters = 0;
            stages.Run("exporting the same weights to ONNX", () =>
            {
                parameters = Export(model, s.Model, seed, imagePath, textPath);
                CollectGarbage();
            });

            long before = ProcessMemory.Current;
            ProcessMemory.TryResetPeak();
            using var peer = new OnnxRuntimePeer(Threading.MaxThreads);
            stages.Run("loading and warming up ONNX Runtime", () =>
            {
                var models = new OnnxRuntimeModels(peer, peer.Load(imagePath), model.Towers.Count > 1 ? peer.Load(textPath) : null);
                foreach (var c in cases.Where(c => c.BindPeer != null))
                {
                    c.Peer = c.BindPeer!(models);
                    for (int i = 0; i < Math.Max(1, c.Warmup); i++) c.Peer();
                }
            });
            long peerIncrease = (phasesSeparated ? ProcessMemory.Peak : ProcessMemory.Current) - before;

            foreach (var c in cases) TimeInterleaved(c, stages.Counter($"timing {c.Name}", InterleavedTiming.TimedRounds((c.Peer ?? c.Dense) == null ? 1 : 2, c.Runs)));

            const double MiB = 1048576.0;
            var results = cases.Select(c =>
            {
                var sieve = EngineResult.From(c.SieveTime!, c.SieveMacs, c.Items);
                var ort = c.PeerTime == null ? null : EngineResult.From(c.PeerTime, c.PeerMacs, c.Items);
                return new BenchResult(c.Name, c.Items, sieve, ort, ort == null ? null : sieve.MedianMs / ort.MedianMs, c.SieveActivationBytes / MiB,
                    c.DenseTime == null ? null : c.DenseTime.Median / sieve.MedianMs, c.DenseTime == null ? null : (double)c.SieveMacs / c.DenseMacs);
            }).ToList();
            return new BenchReport(name, Threading.MaxThreads, GemmPaths.Best.ToString(), OnnxRuntimePeer.Version,
                new BenchMemory(parameters * 4 / MiB, Math.Max(loadPeak, runningPeak) / MiB, runningPeak / MiB, peerIncrease / MiB, phasesSeparated), results);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    static void CollectGarbage() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <summary>Writes the image or ViLT (and, for CLIP, text) graph with the model's weights; returns the parameter count.</summary>
    static long Export(IModel model, string? directory, int seed, string imagePath, string textPath)
    {
        if (directory == null && model is ViltModel vilt) // the random models Bench builds itself
        {
            using var file = File.Create(imagePath);
            return OnnxExporter.ExportRandomVilt(vilt.Config, seed, vilt.Answers.Count, file).Parameters;
        }
        if (directory == null)
        {
            using var image = File.Create(imagePath);
            using var text = File.Create(textPath);
            var (vision, language) = OnnxExporter.ExportRandomClip(ClipConfig.VitB16, seed, image, text);
            return vision.Parameters + language.Parameters;
        }
        long parameters = OnnxExporter.Export(directory, imagePath).Parameters;
        if (model.Towers.Count > 1) parameters += OnnxExporter.Export(directory, textPath, ClipTower.Text).Parameters;
        return parameters;
    }

    /// <summary>The workloads of every tower of the model, by the kind of tokens it reads.</summary>
    static List<BenchCase> Cases(IModel model, Settings s)
    {
        int batchRuns = Math.Max(Math.Min(3, s.Runs), s.Runs / s.Batch), batchWarmup = Math.Min(s.Warmup, 1);
        var cases = new List<BenchCase>();
        foreach (var tower in model.Towers)
            cases.AddRange(tower.Info.Modality == Modality.Text ? TextCases(tower, s, batchRuns, batchWarmup) : ImageCases(tower, s, batchRuns, batchWarmup));
        return cases;
    }

    /// <summary>
    /// Images at the tower's own size (a fusion tower: each with the same full-length question, so ONNX Runtime needs
    /// no padding): one alone, a batch of different ones, for an image tower the batch one after another; with each
    /// reducer, both against dense.
    /// </summary>
    static IEnumerable<BenchCase> ImageCases(ITower tower, Settings s, int batchRuns, int batchWarmup)
    {
        int b = s.Batch, size = tower.ImageSize;
        bool pair = tower.Info.Modality == Modality.Multimodal;
        var inputs = Enumerable.Range(0, b).Select(i => tower.Example(i)).ToArray();
        var pixels = inputs.SelectMany(input => input.Pixels!).ToArray();
        var first = inputs[0].Pixels!;
        int t = pair ? inputs[0].Ids!.Length : 0;
        long dense = tower.DenseMacs(inputs[0]);
        string what = pair ? "VQA" : "image";
        long MacsOf(int i, TokenReducer reducer)
        {
            var trace = new ForwardTrace();
            tower.Forward(inputs[i], BlockHook.Combine(reducer, trace));
            return trace.Macs;
        }
        float[] Run(int i, TokenReducer? reducer = null) => tower.Forward(inputs[i], reducer);
        Action Peer(OnnxRuntimeModels m, int rows, float[] images) => pair
            ? m.Peer.Runner(m.Image, m.Peer.Tensor(Enumerable.Repeat(inputs[0].Ids!, rows).SelectMany(row => row).Select(id => (long)id).ToArray(), rows, t),
                m.Peer.Tensor(images, rows, 3, size, size))
            : m.Peer.Runner(m.Image, images, rows, 3, size, size);

        yield return new()
        {
            Name = pair ? $"VQA, {t} tokens + {size}×{size} image, batch 1" : "image, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs,
            SieveMacs = dense, PeerMacs = dense, Sieve = () => Run(0), BindPeer = m => Peer(m, 1, first),
        };
        yield return new()
        {
            Name = $"{what}, batch {b} (throughput)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * dense, PeerMacs = b * dense,
            Sieve = () => Threading.ForEachSample(b, i => Run(i)), BindPeer = m => Peer(m, b, pixels),
        };
        if (!pair)
            yield return new()
            {
                Name = $"image, batch {b}, sequential (Sieve latency mode)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * dense,
                Sieve = () => { for (int i = 0; i < b; i++) Run(i); },
            };
        foreach (var spec in s.Reducers)
        {
            CliOptions.CheckMerges(spec.For(tower.Info), tower);
            if (spec.Bind(tower.Info) is not { } reducer) continue;
            var shown = spec.For(tower.Info);
            yield return new()
            {
                Name = $"{what}, batch 1, {shown}", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = MacsOf(0, reducer),
                Sieve = () => Run(0, reducer), Dense = () => Run(0), DenseMacs = dense,
            };
            yield return new()
            {
                Name = $"{what}, batch {b} (throughput), {shown}", Items = b, Warmup = batchWarmup, Runs = batchRuns,
                SieveMacs = Enumerable.Range(0, b).Sum(i => MacsOf(i, reducer)),
                Sieve = () => Threading.ForEachSample(b, i => Run(i, reducer)), Dense = () => Threading.ForEachSample(b, i => Run(i)), DenseMacs = b * dense,
            };
        }
    }

    /// <summary>
    /// A full-length text alone, and a batch of texts of growing lengths: Sieve runs each only up to its
    /// end-of-text, ONNX Runtime takes the batch padded to the longest (end-of-text as padding, as Hugging Face's
    /// CLIP tokenizers pad).
    /// </summary>
    static IEnumerable<BenchCase> TextCases(ITower tower, Settings s, int batchRuns, int batchWarmup)
    {
        int n = tower.TextTokens, b = s.Batch;
        var full = tower.Example(0);
        int eos = full.Ids![^1];
        long[] Padded(IEnumerable<TowerInput> texts) => texts.SelectMany(t => t.Ids!.Concat(Enumerable.Repeat(eos, n - t.Ids!.Length))).Select(id => (long)id).ToArray();
        int shortest = Math.Min(5, n);
        var texts = Enumerable.Range(0, b).Select(i => tower.Example(i, b == 1 ? n : shortest + (n - shortest) * i / (b - 1))).ToArray();
        long dense = tower.DenseMacs(full);
        yield return new BenchCase
        {
            Name = $"text, {n} tokens, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = dense, PeerMacs = dense,
            Sieve = () => tower.Forward(full), BindPeer = m => m.Peer.Runner(m.Text!, Padded([full]), 1, n),
        };
        foreach (var spec in s.Reducers)
        {
            if (spec.Bind(tower.Info) is not { } reducer) continue;
            var trace = new ForwardTrace();
            tower.Forward(full, BlockHook.Combine(reducer, trace));
            yield return new BenchCase
            {
                Name = $"text, {n} tokens, batch 1, {spec.For(tower.Info)}", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = trace.Macs,
                Sieve = () => tower.Forward(full, reducer), Dense = () => tower.Forward(full), DenseMacs = dense,
            };
        }
        yield return new BenchCase
        {
            Name = $"text, batch {b}, {texts[0].Ids!.Length}–{n} tokens (ORT: padded to {n})", Items = b, Warmup = batchWarmup, Runs = batchRuns,
            SieveMacs = texts.Sum(tower.DenseMacs), PeerMacs = b * dense,
            Sieve = () => Threading.ForEachSample(b, i => tower.Forward(texts[i])), BindPeer = m => m.Peer.Runner(m.Text!, Padded(texts), b, n),
        };
    }

    /// <summary>Times Sieve against its comparison (ONNX Runtime, or dense Sieve for a reduced workload) in alternating rounds.</summary>
    static void TimeInterleaved(BenchCase c, Action tick)
    {
        var other = c.Peer ?? c.Dense;
        var timings = InterleavedTiming.Measure(other == null ? [c.Sieve] : [c.Sieve, other], warmupRounds: 0, c.Runs, tick);
        c.SieveTime = timings[0];
        c.PeerTime = c.Peer == null ? null : timings[1];
        c.DenseTime = c.Dense == null ? null : timings[1];
    }
}
