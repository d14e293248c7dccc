using System.CommandLine;
using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Weights;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve embed --model DIR --images DIR|FILE… | --texts FILE --out FILE</c>: embeddings of images
/// (ViT features, CLIP image embeddings, BLIP contrastive image embeddings) or of texts (CLIP, BLIP), written as safetensors or JSON;
/// with <c>--shard I/N</c> only that part of the inputs, and <c>--merge SHARD… --out FILE</c> combines the parts
/// (<see cref="EmbeddingShards"/>).
/// </summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        model.Required = false; // not with --merge; checked below
        var shard = Shard.Option();
        var merge = new Option<string[]>("--merge")
        {
            Description = "Combine the outputs of `embed --shard I/N` for every I (safetensors files, any order) into --out, as one unsharded run writes it",
            AllowMultipleArgumentsPerToken = true,
        };
        var images = new Option<string[]>("--images", "-i") { Description = "Image files or folders of images", AllowMultipleArgumentsPerToken = true };
        var texts = new Option<string>("--texts") { Description = "Text file, one text per line (CLIP or BLIP)" };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output file: .safetensors (tensor 'embeddings' [n, dim], names in metadata) or .json",
            Required = true,
        };
        var normalize = new Option<bool>("--normalize") { Description = "L2-normalise every embedding" };
        var threads = CliOptions.Threads();
        var precision = CliOptions.Precision();
        var reducer = CliOptions.Reducer();
        var guidance = CliOptions.Guidance();
        var command = new Command("embed", "Embed images or texts into vectors") { model, images, texts, output, normalize, reducer, guidance, threads, precision, shard, merge };
        command.Validators.Add(result =>
        {
            if (result.GetResult(merge) == null && result.GetResult(model) == null) result.AddError("Option '--model' is required.");
            if (result.GetResult(merge) != null && new Option[] { model, images, texts, shard, normalize, reducer, guidance, precision }.FirstOrDefault(o => result.GetResult(o) is { Implicit: false }) is { } other)
                result.AddError($"--merge combines finished shards; it takes only --out, not {other.Name}.");
        });
        command.SetAction(async (r, cancellationToken) =>
        {
            if (r.GetValue(merge) is { Length: > 0 } shardFiles)
            {
                string mergedPath = r.GetValue(output)!;
                CheckExtension(mergedPath);
                OutputGuard.Check("--out", mergedPath, shardFiles, []);
                int merged = EmbeddingShards.Merge(shardFiles, mergedPath);
                CliConsole.Out.MarkupLineInterpolated($"wrote {merged} embeddings from {shardFiles.Length} shards to [green]{mergedPath}[/]");
                return 0;
            }
            CliOptions.ApplyThreads(r.GetValue(threads));
            var imageInputs = r.GetValue(images);
            string? textFile = r.GetValue(texts);
            if ((imageInputs is { Length: > 0 }) == (textFile != null))
                throw new SieveFormatException("give exactly one of --images or --texts");
            string outPath = r.GetValue(output)!;
            CheckExtension(outPath);
            Shard? part = r.GetValue(shard) is { } shardText ? Shard.Parse(shardText) : null;
            if (part != null && !outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new SieveFormatException($"--out '{outPath}': with --shard the output must be .safetensors (its metadata tells --merge which shard it is)");

            string dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, cancellationToken: cancellationToken);
            var imageFiles = imageInputs is { Length: > 0 } ? CliOptions.ExpandImages(imageInputs) : [];
            OutputGuard.Check("--out", outPath, [textFile, r.GetValue(guidance), .. imageFiles], [dir]);
            var (spec, guide) = CliOptions.Reduction(r.GetValue(reducer)!, r.GetValue(guidance), dir, textTower: ModelFolder.Detect(dir) is ModelFamily.Clip or ModelFamily.Blip);
            var encoder = ModelFolder.Load(dir, r.GetValue(precision));
            if (textFile == null) CliOptions.CheckMerges(spec.Vision, encoder.ImageTower);
            int inputs = 0;
            List<string> Part(List<string> all) // this shard's inputs, before any work on them
            {
                inputs = all.Count;
                if (part is not { } s) return all;
                if (s.Count > inputs) throw new SieveFormatException($"--shard {s}: {inputs} inputs cannot make {s.Count} shards");
                var (start, end) = s.Range(inputs);
                return all[start..end];
            }
            List<string> names;
            Func<string, float[]> embed;
            if (textFile != null)
            {
                if (encoder is not ITextModel textModel) throw new SieveFormatException($"'{dir}' has no text tower; --texts needs a CLIP or BLIP model");
                if (!File.Exists(textFile)) throw new SieveFormatException($"--texts '{textFile}' does not exist");
                var lines = File.ReadAllLines(textFile).Where(l => l.Trim().Length > 0).ToList();
                if (lines.Count == 0) throw new SieveFormatException($"--texts '{textFile}' holds no text");
                names = Part(lines);
                var tokens = names.Distinct().ToDictionary(text => text, textModel.Tokenize); // once per text: warnings, then ids
                foreach (string text in names)
                    if (tokens[text].Warning is { } cut) CliConsole.Warn($"'{UsageError.Echo(text)}': {cut}");
                var textTower = ((ITextModel)textModel.WithReduction(spec, guide)).TextTower;
                embed = text => textTower.Forward(TowerInput.Text(tokens[text].Ids));
            }
            else
            {
                names = Part([.. imageFiles]);
                var reduced = (IImageEncoder)encoder.WithReduction(spec, guide);
                var read = CliOptions.ImageReader();
                embed = file => reduced.EncodeImage(read(file));
            }

            bool unitLength = r.GetValue(normalize);
            var vectors = new float[names.Count][];
            CliProgress.Run($"embedding {names.Count} {(textFile != null ? "texts" : "images")}", names.Count, false, step =>
            {
                for (int i = 0; i < names.Count; i++)
                {
                    var v = embed(names[i]);
                    vectors[i] = unitLength ? ZeroShotClassifier.Normalized(v) : v;
                    step();
                }
            });
            Write(outPath, names, vectors, part is { } written ? EmbeddingShards.Metadata(written, inputs) : null);
            CliConsole.Out.MarkupLineInterpolated($"wrote {names.Count} × {encoder.EmbeddingSize} embeddings to [green]{outPath}[/]");
            return 0;
        });
        return command;
    }

    static void CheckExtension(string outPath)
    {
        if (Path.GetExtension(outPath).ToLowerInvariant() is not (".safetensors" or ".json"))
            throw new SieveFormatException($"--out '{outPath}': the extension must be .safetensors or .json");
    }

    /// <summary>Writes the embeddings as JSON or safetensors (with <paramref name="metadata"/> beside the names).</summary>
    public static void Write(string path, IReadOnlyList<string> names, float[][] vectors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            var items = names.Select((n, i) => new { name = n, embedding = vectors[i] });
            File.WriteAllText(path, JsonSerializer.Serialize(items));
            return;
        }
        int dim = vectors[0].Length;
        var flat = new float[names.Count * dim];
        for (int i = 0; i < vectors.Length; i++) vectors[i].CopyTo(flat, i * dim);
        var writer = new SafetensorsWriter()
            .Add("embeddings", [names.Count, dim], flat)
            .AddMetadata("names", JsonSerializer.Serialize(names));
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) writer.AddMetadata(key, value);
        writer.Save(path);
    }
}
