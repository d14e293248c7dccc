using System.CommandLine;
using System.Text.Json;
using Sieve.Models;
using Sieve.Models.Generation;
using Sieve.Reduction;
using Sieve.Weights;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve chat --model DIR --image IMG "question"… [--questions FILE]</c>: a LLaVA model's answers about one image,
/// streamed to stdout token by token (or one JSON object per answer), with the command's reducer in the vision tower.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var image = new Option<string>("--image", "-i") { Description = "The image the questions are about", Required = true };
        var questionsFile = new Option<string?>("--questions") { Description = "A text file of questions, one per line (blank lines skipped), asked after any given as arguments" };
        var maxNew = NumberOptions.Integer("--max-new-tokens", "Most tokens to generate per answer", 128, 1, GenerationOptions.MaxTokens);
        var temperature = NumberOptions.Real("--temperature", "0: greedy (the most likely token); above 0: sample from softmax(logits / temperature)", 0, v => v >= 0 && v <= 100, "a number in 0…100");
        var topP = NumberOptions.Real("--top-p", "When sampling, keep only the most likely tokens whose probabilities add up to this", 1, v => v > 0 && v <= 1, "a number in (0, 1]");
        var topK = NumberOptions.Integer("--top-k", "When sampling, keep only the k most likely tokens (0: all), before --top-p", 0, 0, 1_000_000);
        var seed = NumberOptions.Integer("--seed", "The sampler's seed (same seed, same answer)", 0, 0, int.MaxValue);
        var reducer = CliOptions.Reducer();
        var guidance = CliOptions.Guidance();
        var precision = CliOptions.Precision();
        var json = EvalOptions.Json();
        json.Description = "Print one JSON object per answer (JSON Lines): question, answer, tokens, prompt and visual tokens, time to first token, decode tokens/s, KV-cache bytes";
        var threads = CliOptions.Threads();
        var questions = new Argument<string[]>("questions") { Description = "Questions about the image", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("chat", "Ask a LLaVA model (LlavaForConditionalGeneration) about an image; answers stream to stdout as they are generated (question⇥answer per line for several)")
            { model, image, questionsFile, maxNew, temperature, topP, topK, seed, reducer, guidance, precision, json, threads, questions };
        command.SetAction(async (r, cancellationToken) =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            bool quiet = r.GetValue(json);
            string dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, quiet, cancellationToken);
            var config = JsonConfig.Load(Path.Combine(dir, "config.json"));
            if (!config.Has("model_type") || config.String("model_type") != "llava")
                throw new SieveFormatException($"'{dir}' is not a LLaVA model (config.json \"model_type\": \"llava\"); chat needs a LlavaForConditionalGeneration checkpoint");
            var asked = new List<string>(r.GetValue(questions)!);
            if (r.GetValue(questionsFile) is { } file)
            {
                InputFile.RequireContent(file, "questions file");
                asked.AddRange(File.ReadAllLines(file).Where(line => !string.IsNullOrWhiteSpace(line)));
            }
            if (asked.Count == 0) throw new ArgumentException("no question: give one as an argument or a file of them with --questions");
            string reduction = r.GetValue(reducer)!;
            var (tower, visionZip, fastV) = VisualTokenSelection.Parse(reduction);
            var (spec, guide) = tower == null ? (ModelReduction.None, null) : CliOptions.Reduction(tower, r.GetValue(guidance), dir, textTower: false);
            var loaded = LlavaModel.Load(dir, r.GetValue(precision));
            if (loaded.ChatTemplateFile == null)
                CliConsole.Error.Profile.Out.Writer.WriteLine($"note: {dir} has no chat template (chat_template.jinja, chat_template.json or tokenizer_config.json); using LLaVA-1.5's prompt");
            CliOptions.CheckMerges(spec.Vision, loaded.Vision);
            var chat = loaded.WithReduction(spec, guide).WithTokenSelection(visionZip, fastV);
            var options = new GenerationOptions(MaxNewTokens: r.GetValue(maxNew), Temperature: (float)r.GetValue(temperature), TopP: (float)r.GetValue(topP),
                Seed: r.GetValue(seed), TopK: r.GetValue(topK)).Checked();
            var pixels = Sieve.Data.ImageBatch.Load([r.GetValue(image)!], CliOptions.AllowDamagedImagesInRun, chat.Preprocessor.Process)[0];
            var stdout = CliConsole.Out.Profile.Out.Writer;
            foreach (string question in asked)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (quiet)
                {
                    var a = chat.Chat(pixels, question, options);
                    double decodeSeconds = a.DecodeTime.TotalSeconds;
                    CliConsole.WriteRaw(JsonSerializer.Serialize(new
                    {
                        question, answer = a.Text, tokens = a.Tokens.Length, prompt_tokens = a.PromptTokens, visual_tokens = a.VisualTokens,
                        time_to_first_token_ms = a.TimeToFirstToken.TotalMilliseconds,
                        decode_tokens_per_second = a.Tokens.Length > 1 && decodeSeconds > 0 ? (a.Tokens.Length - 1) / decodeSeconds : (double?)null,
                        kv_cache_bytes = a.CacheBytes,
                    }));
                    continue;
                }
                if (asked.Count > 1) stdout.Write($"{question}\t");
                chat.Chat(pixels, question, options, text =>
                {
                    // Newlines inside an answer would break the one-line-per-question output of several.
                    stdout.Write(asked.Count > 1 ? text.ReplaceLineEndings(" ") : text);
                    stdout.Flush();
                });
                stdout.WriteLine();
                stdout.Flush();
            }
            return 0;
        });
        return command;
    }
}
