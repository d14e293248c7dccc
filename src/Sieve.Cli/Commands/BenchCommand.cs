using System.CommandLine;
using Sieve.Eval;
using Sieve.Export;
using Sieve.Models;
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
        command.SetAction(r =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            bool asJson = r.GetValue(json), asMarkdown = r.GetValue(markdown);
            if (asJson && asMarkdown) throw new ArgumentException("give at most one of --json and --markdown");
            var specs = (r.GetValue(reducers) ?? []).Select(spec => CliOptions.Reduction(spec, null).Spec).Where(spec => !spec.IsNone).ToList();
            var settings = new Settings(r.GetValue(model) is { } m ? CliOptions.ResolveModel(m, asJson || asMarkdown) : null, r.GetValue(random)!,
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
        object model = null!;
        stages.Run($"building {name}", () =>
        {
            model = s.Model switch
            {
                null => s.Random == ViltB32 ? ViltModel.CreateRandom(ViltConfig.B32, seed) : ClipModel.CreateRandom(ClipConfig.VitB16, seed),
                var directory when ModelFolder.Detect(directory) == ModelFamily.Vilt => ViltModel.Load(directory),
                var directory => ModelFolder.Load(directory),
            };
            // Loading leaves the unpacked weights as garbage; collect it now, not inside the measurements.
            CollectGarbage();
        });
        var cases = model is ViltModel vilt ? ViltCases(vilt, s) : Cases((IImageEncoder)model, s);

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
                var models = new OnnxRuntimeModels(peer, peer.Load(imagePath), model is ClipModel ? peer.Load(textPath) : null);
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
    static long Export(object model, string? directory, int seed, string imagePath, string textPath)
    {
        if (directory == null && model is ViltModel vilt)
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
        if (model is ClipModel) parameters += OnnxExporter.Export(directory, textPath, ClipTower.Text).Parameters;
        return parameters;
    }

    /// <summary>
    /// ViLT answering one full-length question (the model's text positions, 40 for ViLT-B/32) about images at the
    /// model's own size: one pair, and a batch of different images with the same question (so ONNX Runtime needs no
    /// padding); with each reducer, both against dense.
    /// </summary>
    static List<BenchCase> ViltCases(ViltModel vilt, Settings s)
    {
        var config = vilt.Config;
        int b = s.Batch, batchRuns = Math.Max(Math.Min(3, s.Runs), s.Runs / b), batchWarmup = Math.Min(s.Warmup, 1);
        int size = config.ImageSize, n = 3 * size * size, t = config.MaxPositions;
        // [CLS], words spread over the vocabulary (past BERT's special and unused ids where it has them), [SEP].
        var ids = Enumerable.Range(0, t).Select(i => i == 0 ? 101 % config.VocabSize : i == t - 1 ? 102 % config.VocabSize
            : (1000 + i * 7919) % config.VocabSize).ToArray();
        var pixels = new float[b * n];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = MathF.Sin(i * 0.37f);
        var inputs = Enumerable.Range(0, b).Select(i => new ViltInput(ids, pixels[(i * n)..((i + 1) * n)], size, size)).ToArray();
        long dense = vilt.AnswerMacs(t, size / config.PatchSize, size / config.PatchSize);
        long MacsOf(int i, TokenReducer reducer)
        {
            var trace = new ForwardTrace();
            vilt.AnswerLogits(inputs[i], reducer, trace);
            return trace.Macs;
        }
        float[] Answer(int i, TokenReducer? reducer = null) => vilt.AnswerLogits(inputs[i], reducer);
        long[] Ids(int rows) => Enumerable.Repeat(ids, rows).SelectMany(row => row).Select(id => (long)id).ToArray();
        var cases = new List<BenchCase>
        {
            new()
            {
                Name = $"VQA, {t} tokens + {size}×{size} image, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = dense, PeerMacs = dense,
                Sieve = () => Answer(0), BindPeer = m => m.Peer.Runner(m.Image, m.Peer.Tensor(Ids(1), 1, t), m.Peer.Tensor(pixels[..n], 1, 3, size, size)),
            },
            new()
            {
                Name = $"VQA, batch {b} (throughput)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * dense, PeerMacs = b * dense,
                Sieve = () => Threading.ForEachSample(b, i => Answer(i)),
                BindPeer = m => m.Peer.Runner(m.Image, m.Peer.Tensor(Ids(b), b, t), m.Peer.Tensor(pixels, b, 3, size, size)),
            },
        };
        foreach (var spec in s.Reducers)
        {
            if (spec.Bind(vilt.Tower) is not { } reducer) continue;
            cases.Add(new()
            {
                Name = $"VQA, batch 1, {spec.Vision}", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = MacsOf(0, reducer),
                Sieve = () => Answer(0, reducer), Dense = () => Answer(0), DenseMacs = dense,
            });
            cases.Add(new()
            {
                Name = $"VQA, batch {b} (throughput), {spec.Vision}", Items = b, Warmup = batchWarmup, Runs = batchRuns,
                SieveMacs = Enumerable.Range(0, b).Sum(i => MacsOf(i, reducer)),
                Sieve = () => Threading.ForEachSample(b, i => Answer(i, reducer)), Dense = () => Threading.ForEachSample(b, i => Answer(i)), DenseMacs = b * dense,
            });
        }
        return cases;
    }

    /// <summary>The workloads for this model: images always, texts for CLIP.</summary>
    static List<BenchCase> Cases(IImageEncoder encoder, Settings s)
    {
        int b = s.Batch, batchRuns = Math.Max(Math.Min(3, s.Runs), s.Runs / b), batchWarmup = Math.Min(s.Warmup, 1);
        var (size, macs, encode) = encoder switch
        {
            VitModel vit => (vit.Config.ImageSize, vit.Macs, (Func<ReadOnlyMemory<float>, TokenReducer?, ForwardTrace?, float[]>)((p, red, t) => vit.Logits(p.Span, red, t))),
            ClipModel clip => (clip.Config.ImageSize, clip.Vision.Macs, (p, red, t) => clip.Vision.Encode(p.Span, red, t)),
            _ => throw new InvalidOperationException($"no benchmark for {encoder.GetType().Name}"),
        };
        // b different, deterministic images in an image-like range; the first one alone for batch 1.
        int n = 3 * size * size;
        var pixels = new float[b * n];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = MathF.Sin(i * 0.37f);
        var first = pixels[..n];
        float[] Encode(int i, TokenReducer? reducer = null) => encode(pixels.AsMemory(i * n, n), reducer, null);
        long MacsOf(int i, TokenReducer reducer)
        {
            var trace = new ForwardTrace();
            encode(pixels.AsMemory(i * n, n), reducer, trace);
            return trace.Macs;
        }
        var cases = new List<BenchCase>
        {
            new()
            {
                Name = "image, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = macs, PeerMacs = macs,
                Sieve = () => Encode(0), BindPeer = m => m.Peer.Runner(m.Image, first, 1, 3, size, size),
            },
            new()
            {
                Name = $"image, batch {b} (throughput)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * macs, PeerMacs = b * macs,
                Sieve = () => Threading.ForEachSample(b, i => Encode(i)), BindPeer = m => m.Peer.Runner(m.Image, pixels, b, 3, size, size),
            },
            new()
            {
                Name = $"image, batch {b}, sequential (Sieve latency mode)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * macs,
                Sieve = () => { for (int i = 0; i < b; i++) Encode(i); },
            },
        };
        foreach (var spec in s.Reducers)
        {
            CliOptions.CheckMerges(spec.Vision, encoder);
            if (spec.Bind(encoder.ImageTower) is not { } reducer) continue;
            cases.Add(new()
            {
                Name = $"image, batch 1, {spec.Vision}", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = MacsOf(0, reducer),
                Sieve = () => Encode(0, reducer), Dense = () => Encode(0), DenseMacs = macs,
            });
            cases.Add(new()
            {
                Name = $"image, batch {b} (throughput), {spec.Vision}", Items = b, Warmup = batchWarmup, Runs = batchRuns,
                SieveMacs = Enumerable.Range(0, b).Sum(i => MacsOf(i, reducer)),
                Sieve = () => Threading.ForEachSample(b, i => Encode(i, reducer)), Dense = () => Threading.ForEachSample(b, i => Encode(i)), DenseMacs = b * macs,
            });
        }
        if (encoder is ClipModel c) cases.AddRange(TextCases(c, s, batchRuns, batchWarmup));
        return cases;
    }

    /// <summary>
    /// A full-length text alone, and a batch of texts of growing lengths: Sieve runs each only up to its
    /// end-of-text, ONNX Runtime takes the batch padded to the longest (end-of-text as padding, as Hugging Face's
    /// CLIP tokenizers pad).
    /// </summary>
    static IEnumerable<BenchCase> TextCases(ClipModel clip, Settings s, int batchRuns, int batchWarmup)
    {
        var config = clip.Config;
        int n = config.MaxPositions, eos = config.EosTokenId, b = s.Batch;
        int[] Text(int length) => Enumerable.Range(0, length).Select(i =>
        {
            int id = 1 + i * 7919 % (config.VocabSize - 2); // spread over the vocabulary, never end-of-text before the end
            return i == length - 1 ? eos : id == eos ? id + 1 : id;
        }).ToArray();
        long[] Padded(IEnumerable<int[]> texts) => texts.SelectMany(t => t.Concat(Enumerable.Repeat(eos, n - t.Length))).Select(id => (long)id).ToArray();

        var full = Text(n);
        int shortest = Math.Min(5, n);
        var texts = Enumerable.Range(0, b).Select(i => Text(b == 1 ? n : shortest + (n - shortest) * i / (b - 1))).ToArray();
        yield return new BenchCase
        {
            Name = $"text, {n} tokens, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs,
            SieveMacs = clip.Text.MacsFor(n), PeerMacs = clip.Text.MacsFor(n),
            Sieve = () => clip.Text.Encode(full), BindPeer = m => m.Peer.Runner(m.Text!, Padded([full]), 1, n),
        };
        foreach (var spec in s.Reducers)
        {
            if (spec.Bind(clip.Text.Tower) is not { } reducer) continue;
            var trace = new ForwardTrace();
            clip.Text.Encode(full, reducer, trace);
            yield return new BenchCase
            {
                Name = $"text, {n} tokens, batch 1, {spec.Text}", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = trace.Macs,
                Sieve = () => clip.Text.Encode(full, reducer), Dense = () => clip.Text.Encode(full), DenseMacs = clip.Text.MacsFor(n),
            };
        }
        yield return new BenchCase
        {
            Name = $"text, batch {b}, {texts[0].Length}–{n} tokens (ORT: padded to {n})", Items = b, Warmup = batchWarmup, Runs = batchRuns,
            SieveMacs = texts.Sum(t => clip.Text.MacsFor(t.Length)), PeerMacs = b * clip.Text.MacsFor(n),
            Sieve = () => Threading.ForEachSample(b, i => clip.Text.Encode(texts[i])), BindPeer = m => m.Peer.Runner(m.Text!, Padded(texts), b, n),
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
