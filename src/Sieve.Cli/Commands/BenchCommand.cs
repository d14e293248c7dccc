using System.CommandLine;
using Sieve.Eval;
using Sieve.Export;
using Sieve.Models;
using Sieve.Tensors;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve bench [--model DIR]</c>: dense Sieve against ONNX Runtime running the same weights (exported with
/// <see cref="OnnxExporter"/>): latency (median, p90), throughput, GMACs and peak memory; with <c>--reducer</c>,
/// reduced against dense Sieve. Without a model it runs a built-in randomly initialised one (timings do not
/// depend on weight values): CLIP ViT-B/16, with <c>--random vilt-b32</c> ViLT-B/32 answering a 40-token
/// question about a 384×384 image, or with <c>--random blip-base</c> BLIP-base matching a 35-token text with a 384×384 image.
/// </summary>
/// <remarks>
/// The command builds the model and its workloads (<see cref="BenchWorkloads"/>) and renders the report; the
/// measuring — memory phases, interleaved timing — is the library's <see cref="BenchRunner"/>, with ONNX Runtime
/// as its peer (<see cref="OnnxRuntimePeer"/>). With <c>--precision int8</c> the int8 model is timed in rows of its own
/// against float32 dense Sieve, and against ONNX Runtime: dense against ONNX Runtime's int8 on the same int8 weights,
/// reduced against ONNX Runtime's float32 dense.
/// </remarks>
internal static class BenchCommand
{
    sealed record Settings(string? Model, string Random, BenchWorkloads.Options Workloads, Precision Precision);

    const string ClipB16 = "clip-b16", ViltB32 = "vilt-b32", BlipBase = "blip-base", BlipCaption = "blip-caption";

    /// <summary>Seed of the random models' weights.</summary>
    const int Seed = 0;

    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model folder or Hub repository id: timm ViT, CLIP, ViLT or BLIP retrieval (default: a random model, see --random)" };
        var random = new Option<string>("--random") { Description = $"Built-in random model when no --model is given: {ClipB16} (224 px, 77 text tokens), {ViltB32} (VQA, 384×384, 40 text tokens), {BlipBase} (image–text matching, 384×384, {BenchWorkloads.BlipTextTokens} text tokens), " +
            $"{BlipCaption} (BLIP-base captioning: ms per greedy 20-token caption, dense vs --reducer, no ONNX peer) or {LlavaBench.Name} (chat: time to first token, decode, KV cache)", DefaultValueFactory = _ => ClipB16 };
        random.AcceptOnlyFromAmong(ClipB16, ViltB32, BlipBase, BlipCaption, LlavaBench.Name);
        var runs = NumberOptions.Integer("--runs", "Timed repetitions per workload (batches: runs ÷ batch, at least 3)", 20, 1, 100_000);
        var warmup = NumberOptions.Integer("--warmup", "Untimed repetitions first, per engine (at least one runs, to measure memory)", 3, 0, 10_000);
        // A batch holds every image's activations at once: 512 CLIP ViT-B/16 images are already several GB.
        var batch = NumberOptions.Integer("--batch", "Images (and texts) per throughput batch", 8, 1, 512);
        var json = new Option<bool>("--json") { Description = "Print the results as JSON (no progress display)" };
        var markdown = new Option<bool>("--markdown") { Description = "Print the results as a Markdown table (no progress display)" };
        var reducers = new Option<string[]>("--reducer", "-r") { Description = "Also time Sieve with this token reducer against dense (repeatable), e.g. crossget:r=16", AllowMultipleArgumentsPerToken = true };
        var threads = CliOptions.Threads();
        var profile = new Option<bool>("--profile") { Description = "Also run each workload's Sieve runs under the profiler: time per operation (GEMMs by layer, attention, LayerNorm, activations, reducer, thread hand-offs)" };
        var precision = CliOptions.Precision();
        precision.Description = "With int8, also time the model with int8 block linear layers (alone and with each --reducer) against float32 dense Sieve, " +
            "and against ONNX Runtime: dense against its int8 on the same weights, reduced against its float32 dense";
        var command = new Command("bench", "Speed and memory: Sieve vs ONNX Runtime, and reduced vs dense with --reducer (default: random CLIP ViT-B/16)")
        {
            model, random, runs, warmup, batch, reducers, json, markdown, threads, precision, profile,
        };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            bool asJson = r.GetValue(json), asMarkdown = r.GetValue(markdown);
            if (asJson && asMarkdown) throw new ArgumentException("give at most one of --json and --markdown");
            bool profiled = r.GetValue(profile);
            if (r.GetValue(model) == null && r.GetValue(random) == LlavaBench.Name)
                return LlavaBench.Run(() => LlavaBench.CreateRandom(r.GetValue(precision)), r.GetValue(precision), r.GetValue(reducers) ?? [], r.GetValue(runs),
                    r.GetValue(warmup), asJson, asMarkdown, profiled, r.InvocationConfiguration.Output);
            var specs = (r.GetValue(reducers) ?? []).Select(spec => CliOptions.Reduction(spec, null).Spec).Where(spec => !spec.IsNone).ToList();
            if (r.GetValue(model) == null && r.GetValue(random) == BlipCaption)
                return CaptionBenchmark.Run(BlipGenerator.CreateRandom(BlipConfig.Base, BlipArchitecture.ConditionalGeneration, Seed), specs,
                    r.GetValue(runs), r.GetValue(warmup), asJson, asMarkdown, profiled);
            var settings = new Settings(r.GetValue(model) is { } m ? await CliOptions.ResolveModelAsync(m, asJson || asMarkdown, cancellationToken) : null, r.GetValue(random)!,
                new BenchWorkloads.Options(r.GetValue(runs), r.GetValue(warmup), r.GetValue(batch), specs), r.GetValue(precision));
            // Built before the progress display, so that a reducer the model cannot take is refused before anything is shown.
            var (name, built, workloads) = Build(settings);
            using var peer = new OnnxRuntimePeer(Threading.MaxThreads,
                (precision, imagePath, textPath) => Export(built, settings.Model, Seed, precision, imagePath, textPath), int8: settings.Precision == Precision.Int8);
            BenchReport report = null!;
            if (asJson || asMarkdown) report = BenchRunner.Run(name, workloads, peer, new Stages(null), profiled);
            else
                CliConsole.Error.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                    .Start(ctx => report = BenchRunner.Run(name, workloads, peer, new Stages(ctx), profiled));

            var output = r.InvocationConfiguration.Output;
            if (asJson) report.WriteJson(output);
            else if (asMarkdown) report.WriteMarkdown(output);
            else WriteTable(report);
            return 0;
        });
        return command;
    }

    /// <summary>Progress lines while the benchmark runs (none when <c>ctx</c> is null: --json, --markdown).</summary>
    sealed class Stages(ProgressContext? ctx) : IBenchProgress
    {
        public void Step(string label, Action work)
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

    /// <summary>The model (loaded, or built with random weights) and its workloads.</summary>
    static (string Name, IModel Model, List<BenchWorkload> Workloads) Build(Settings s)
    {
        string name = s.Model ?? s.Random switch
        {
            ViltB32 => "ViLT-B/32 (random weights)",
            BlipBase => "BLIP-base (random weights)",
            _ => "CLIP ViT-B/16 (random weights)",
        };
        IModel Load(Precision precision) => s.Model switch
        {
            null => s.Random switch
            {
                ViltB32 => ViltModel.CreateRandom(ViltConfig.B32, Seed, precision: precision),
                BlipBase => BlipModel.CreateRandom(BlipConfig.Base, Seed, precision),
                _ => ClipModel.CreateRandom(ClipConfig.VitB16, Seed, precision),
            },
            var directory => ModelFolder.LoadAny(directory, precision),
        };
        var model = Load(Precision.Float32);
        var workloads = BenchWorkloads.For(model, s.Workloads);
        if (s.Precision == Precision.Int8) workloads.AddRange(BenchWorkloads.Int8(model, Load(Precision.Int8), s.Workloads));
        return (name, model, workloads);
    }

    /// <summary>The report as a Spectre table on the console.</summary>
    static void WriteTable(BenchReport report)
    {
        var table = new Table().Title(Markup.Escape(report.Title));
        foreach (var (header, i) in report.Headers.Select((h, i) => (h, i)))
            table.AddColumn(i == 0 ? new TableColumn(header) : new TableColumn(header).RightAligned().NoWrap()); // numbers are never split
        foreach (var row in report.Rows()) table.AddRow(row.Select(Markup.Escape).ToArray());
        CliConsole.Out.Write(table);
        CliConsole.Out.WriteLine(report.MemoryLine);
        CliConsole.Out.WriteLine(report.Notes);
        if (report.Profiles != null) WriteProfiles(report.Profiles, markdown: null);
    }

    /// <summary>Each profile as Markdown on <paramref name="markdown"/> when given, else as a Spectre table on the console; then what they mean.</summary>
    internal static void WriteProfiles(IReadOnlyList<BenchProfile> profiles, TextWriter? markdown)
    {
        if (markdown != null)
        {
            BenchProfile.WriteMarkdown(markdown, profiles);
            return;
        }
        foreach (var profile in profiles)
        {
            var breakdown = new Table().Title(Markup.Escape(profile.Title));
            foreach (var (header, i) in BenchProfile.Headers.Select((h, i) => (h, i)))
                breakdown.AddColumn(i == 0 ? new TableColumn(header) : new TableColumn(header).RightAligned().NoWrap());
            foreach (var row in profile.Rows()) breakdown.AddRow(row.Select(Markup.Escape).ToArray());
            CliConsole.Out.Write(breakdown);
        }
        CliConsole.Out.WriteLine(BenchProfile.Notes);
    }

    /// <summary>Writes the image, ViLT or BLIP matching (and, for CLIP, text) graph with the model's weights in <paramref name="precision"/>; returns the parameter count.</summary>
    static long Export(IModel model, string? directory, int seed, Precision precision, string imagePath, string textPath)
    {
        if (directory == null && model is ViltModel vilt) // the random models Measure builds itself
        {
            using var file = File.Create(imagePath);
            return OnnxExporter.ExportRandomVilt(vilt.Config, seed, vilt.Answers.Count, file, precision).Parameters;
        }
        if (directory == null && model is BlipModel blip)
        {
            using var file = File.Create(imagePath);
            return OnnxExporter.ExportRandomBlip(blip.Config, seed, file, precision).Parameters;
        }
        if (directory == null)
        {
            using var image = File.Create(imagePath);
            using var text = File.Create(textPath);
            var (vision, language) = OnnxExporter.ExportRandomClip(ClipConfig.VitB16, seed, image, text, precision);
            return vision.Parameters + language.Parameters;
        }
        long parameters = OnnxExporter.Export(directory, imagePath, precision: precision).Parameters;
        if (model is ClipModel) parameters += OnnxExporter.Export(directory, textPath, ClipTower.Text, precision).Parameters;
        return parameters;
    }
}
