using System.Text.Json;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Models.Generation;
using Sieve.Nn;
using Sieve.Reduction;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve bench --random blip-caption</c>: a random BLIP-base captioning model (ViT-B/16 at 384 px, BERT-base decoder)
/// captions one image greedily with exactly <see cref="Tokens"/> new tokens, dense and with each <c>--reducer</c> on the
/// vision tower, timed interleaved (<see cref="InterleavedTiming"/>): ms per caption, tokens/s, the vision tower's time
/// alone and so the decoder's share (its steps plus projecting the image tokens' keys and values once), and the executed
/// GMACs of each part. There is no ONNX Runtime peer: the decoder is not exported.
/// </summary>
internal static class CaptionBenchmark
{
    /// <summary>New tokens per caption (after [DEC]): the "greedy, 20 tokens".</summary>
    public const int Tokens = 20;

    /// <summary>One row: the reducer, executed GMACs of the vision tower and the decoder, and the medians.</summary>
    sealed record Row(string Reducer, double VisionGMacs, double DecoderGMacs, int ImageTokens, double CaptionMs, double VisionMs, double SpeedUp)
    {
        public double DecoderShare => 1 - VisionMs / CaptionMs;
        public double TokensPerSecond => Tokens * 1000 / CaptionMs;
    }

    /// <summary>
    /// Times every case on <paramref name="dense"/> (BLIP-base with random weights from the CLI) and prints the table (or JSON /
    /// Markdown); with <paramref name="profile"/>, each case's captions are then run again under the per-operation profiler
    /// (<see cref="BenchProfile"/>), apart from the timing.
    /// </summary>
    public static int Run(BlipGenerator dense, IReadOnlyList<ModelReduction> reducers, int runs, int warmup, bool json, bool markdown, bool profile)
    {
        var models = new[] { dense }.Concat(reducers.Select(r => dense.WithReduction(r))).ToList();
        var names = new[] { "none" }.Concat(reducers.Select(r => r.ToString())).ToList();
        var pixels = ImageTokens.ExamplePixels(0, dense.Config.ImageSize);
        // min = max: the caption never ends early, so every case decodes the same number of steps.
        var options = new GenerationOptions(Tokens + 1, Tokens + 1);
        int[] prompt = [dense.Config.BosTokenId];
        var cases = new List<Action>();
        foreach (var model in models)
        {
            cases.Add(() => model.Caption(pixels, prompt, options));
            cases.Add(() => model.Vision.Encode(pixels));
        }
        if (!json && !markdown) CliConsole.Error.WriteLine($"timing {models.Count} × 2 cases, {warmup} warm-up + {runs} rounds (a caption takes seconds on BLIP-base) …");
        var timings = InterleavedTiming.Measure(cases, warmup, runs);
        var profiles = profile
            ? models.Select((model, i) => BenchProfile.Measure($"caption, {names[i]}", 1, runs, () => model.Caption(pixels, prompt, options))).ToList()
            : null;
        var rows = models.Select((model, i) =>
        {
            var trace = new ForwardTrace();
            var (_, tokens) = model.Vision.EncodeWithTokens(pixels, trace);
            long decoder = model.Decoder.DecodeMacs(tokens.Count, Tokens + 1);
            return new Row(names[i], trace.GMacs, decoder / 1e9, tokens.Count, timings[2 * i].Median, timings[2 * i + 1].Median, timings[0].Median / timings[2 * i].Median);
        }).ToList();
        if (json)
        {
            CliConsole.WriteRaw(JsonSerializer.Serialize(new
            {
                model = "BLIP-base captioning (random weights)", tokens = Tokens,
                rows = rows.Select(r => new
                {
                    reducer = r.Reducer, visionGMacs = r.VisionGMacs, decoderGMacs = r.DecoderGMacs, imageTokens = r.ImageTokens, msPerCaption = r.CaptionMs,
                    visionMs = r.VisionMs, decoderShare = r.DecoderShare, tokensPerSecond = r.TokensPerSecond, speedUp = r.SpeedUp,
                }),
                profiles,
            }, EvalOptions.JsonOptionsOmittingNulls));
            return 0;
        }
        string[] headers = ["reducer", "vision GMACs", "decoder GMACs", "image tokens", "ms / caption", "vision ms", "decoder share", "tokens/s", "speed-up"];
        var cells = rows.Select(r => new[]
        {
            r.Reducer, $"{r.VisionGMacs:F2}", $"{r.DecoderGMacs:F2}", $"{r.ImageTokens}", $"{r.CaptionMs:F1}", $"{r.VisionMs:F1}", $"{r.DecoderShare:P0}",
            $"{r.TokensPerSecond:F1}", $"{r.SpeedUp:F2}×",
        }).ToList();
        if (markdown) MarkdownTable.Write(CliConsole.Out.Profile.Out.Writer, null, headers, cells);
        else
        {
            var table = new Table().Title($"BLIP-base captioning, greedy {Tokens} tokens (random weights)");
            foreach (var (h, i) in headers.Select((h, i) => (h, i)))
                table.AddColumn(i == 0 ? new TableColumn(h) : new TableColumn(h).RightAligned().NoWrap());
            foreach (var c in cells) table.AddRow(c.Select(Markup.Escape).ToArray());
            CliConsole.Out.Write(table);
        }
        CliConsole.WriteRaw($"medians of {InterleavedTiming.TimedRounds(cases.Count, runs)} interleaved rounds; decoder share = 1 − vision ms ÷ ms per caption (the decoder's {Tokens + 1} steps and its projection of the image tokens' keys and values); decoder GMACs include that projection, which shrinks with the image tokens.");
        if (profiles != null) BenchCommand.WriteProfiles(profiles, markdown ? CliConsole.Out.Profile.Out.Writer : null);
        return 0;
    }
}
