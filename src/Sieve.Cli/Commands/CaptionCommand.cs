using System.CommandLine;
using System.Text.Json;
using Sieve.Models;
using Sieve.Models.Generation;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve caption --model DIR IMAGE… [--prompt "a picture of"] [--beams N] [--max-length N] [--min-length N]</c>: a BLIP
/// caption per image (BlipForConditionalGeneration), with the command's reducers on the vision tower.
/// </summary>
internal static class CaptionCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Words the caption starts with (conditional captioning, e.g. \"a picture of\"); none: unconditional" };
        var beams = NumberOptions.OptionalInteger("--beams", "Beam width (1: greedy); default: the checkpoint's generation config", 1, 64);
        var maxLength = NumberOptions.OptionalInteger("--max-length", "Most tokens in the caption, [DEC] and the prompt included (Hugging Face's max_length); default: the checkpoint's", 2, GenerationOptions.MaxTokens);
        var minLength = NumberOptions.OptionalInteger("--min-length", "Fewest tokens before the caption may end (min_length); default: the checkpoint's", 0, GenerationOptions.MaxTokens);
        var penalty = new Option<double?>("--repetition-penalty") { Description = "Divide the logits of tokens already in the caption by this (1: off); default: the checkpoint's" };
        var reducer = CliOptions.Reducer();
        var guidance = CliOptions.Guidance();
        var json = EvalOptions.Json();
        json.Description = "Print one JSON object per image, one per line (JSON Lines): image, caption, tokens";
        var threads = CliOptions.Threads();
        var precision = CliOptions.Precision();
        var images = new Argument<string[]>("images") { Description = "Image files or folders of images", Arity = ArgumentArity.OneOrMore };
        var command = new Command("caption", "Caption images with a BLIP captioning model (BlipForConditionalGeneration): the caption alone for one image, IMAGE⇥caption per line for several")
            { model, prompt, beams, maxLength, minLength, penalty, reducer, guidance, json, threads, precision, images };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            bool quiet = r.GetValue(json);
            string dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, quiet, cancellationToken);
            if (ModelFolder.Detect(dir) != ModelFamily.Blip)
                throw new SieveFormatException($"'{dir}' is not a BLIP model (config.json \"model_type\": \"blip\"); captions need a BlipForConditionalGeneration checkpoint");
            var (spec, guide) = CliOptions.Reduction(r.GetValue(reducer)!, r.GetValue(guidance), dir, textTower: false);
            var files = CliOptions.ExpandImages(r.GetValue(images)!);
            var loaded = BlipGenerator.Load(dir, r.GetValue(precision));
            CliOptions.CheckMerges(spec.Vision, loaded.Vision);
            var d = loaded.Generation;
            var options = new GenerationOptions(r.GetValue(maxLength) ?? d.MaxLength, r.GetValue(minLength) ?? d.MinLength, r.GetValue(beams) ?? d.Beams,
                (float)(r.GetValue(penalty) ?? d.RepetitionPenalty), d.LengthPenalty).Checked();
            var promptIds = loaded.CaptionPrompt(r.GetValue(prompt));
            var generator = loaded.WithReduction(spec, guide);
            // Checked before any image is read: the lengths against the decoder's positions and the prompt.
            if (options.MaxLength > loaded.Config.MaxPositions)
                throw new ArgumentException($"--max-length {options.MaxLength} exceeds the text decoder's {loaded.Config.MaxPositions} positions (max_position_embeddings)");
            if (promptIds.Length >= options.MaxLength)
                throw new ArgumentException($"the prompt has {promptIds.Length} tokens with [DEC], as many as --max-length {options.MaxLength} allows: nothing is left to generate");

            bool allowDamaged = CliOptions.AllowDamagedImagesInRun; // read on the run's thread
            var rows = new List<(string Image, string Caption, int Tokens)>();
            CliProgress.Run($"captioning {files.Count} images", files.Count, quiet || files.Count == 1, done =>
            {
                foreach (string file in files)
                {
                    var pixels = Sieve.Data.ImageBatch.Load([file], allowDamaged, generator.Preprocessor.Process)[0];
                    var ids = generator.Caption(pixels, promptIds, options);
                    var caption = (file, generator.Tokenizer.Decode(ids), ids.Length);
                    if (quiet) CliConsole.WriteRaw(JsonSerializer.Serialize(new { image = file, caption = caption.Item2, tokens = ids.Length }));
                    else rows.Add(caption);
                    done();
                }
            });
            foreach (var (image, caption, _) in rows)
                CliConsole.WriteRaw(files.Count == 1 ? caption : $"{image}\t{caption}");
            return 0;
        });
        return command;
    }
}
