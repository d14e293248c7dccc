using System.Diagnostics;
using System.Text.Json;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve bench --random llava-tiny</c>: a random LLaVA of the llava-tiny shape (CLIP ViT-B/16 at 384 px, 576 visual
/// tokens; a 0.49 B-parameter Llama decoder) answering one image + question, dense and with each <c>--reducer</c>: time
/// to first token (vision tower, projector and prefill), prefill tokens/s, decode tokens/s, key/value cache and peak
/// memory; with the memory-bandwidth bound on decode (the decoder's weights read once per token at the bandwidth
/// measured here by streaming a buffer); with <c>--profile</c>, each variant's answers again under the per-operation
/// profiler (<see cref="BenchProfile"/>), apart from the timing.
/// </summary>
internal static class LlavaBench
{
    /// <summary>The <c>--random</c> name.</summary>
    public const string Name = "llava-tiny";

    /// <summary>Tokens decoded after the first, per run.</summary>
    const int DecodeTokens = 32;

    sealed record Row(string Reducer, int VisualTokens, int PromptTokens, double VisionMs, double PrefillMs, double TimeToFirstTokenMs,
        double PrefillTokensPerSecond, double DecodeTokensPerSecond, long KvCacheBytes, long PeakBytes);

    /// <summary>The llava-tiny shape with random weights in <paramref name="precision"/>, announced on stderr.</summary>
    public static LlavaModel CreateRandom(Precision precision)
    {
        var config = LlavaConfig.FromHuggingFace(JsonConfig.FromElement(
            JsonSerializer.SerializeToElement(RandomModelFolder.LlavaConfigJson(RandomModelSize.Base, 32064, 32000)), Name));
        CliConsole.Error.Profile.Out.Writer.WriteLine($"building {Name} with random weights ({precision})…");
        return LlavaModel.CreateRandom(config, 0, precision);
    }

    /// <summary>
    /// Runs the benchmark on the model <paramref name="build"/> gives (its linear layers in <paramref name="precision"/>), built once the
    /// reducers have parsed, and prints it (a table, Markdown profiles, or JSON); progress on stderr.
    /// </summary>
    public static int Run(Func<LlavaModel> build, Precision precision, IReadOnlyList<string> reducers, int runs, int warmup, bool json, bool markdown, bool profile,
        TextWriter output)
    {
        var variants = new List<(string Spec, Func<LlavaModel, LlavaModel> Apply)> { ("none", m => m) };
        foreach (string spec in reducers)
        {
            var (tower, zip, fastV) = VisualTokenSelection.Parse(spec);
            var reduction = tower == null ? ModelReduction.None : ModelReduction.Parse(tower); // a bad spec fails before the model is built
            variants.Add((spec, m => m.WithReduction(reduction).WithTokenSelection(zip, fastV)));
        }
        var model = build();
        var config = model.Config;
        var built = variants.Select(v => (v.Spec, Model: v.Apply(model))).ToList(); // a spec the model cannot take fails here, before timing
        var pixels = ImageTokens.ExamplePixels(0, config.ImageSize);
        CliConsole.Error.Profile.Out.Writer.WriteLine($"timing {built.Count} variants in {warmup} warm-up and {runs} timed rounds, each round running every variant once…");
        for (int i = 0; i < warmup; i++)
            foreach (var (_, variant) in built) Measure(variant, pixels, config.ImageTokenId);
        // Interleaved rounds, each starting one variant later: a change in the machine's load falls on every variant alike.
        // (InterleavedTiming times one duration per case; a run here yields several and its own peak memory.)
        var samples = built.Select(_ => new List<Row>()).ToList();
        var peaks = new long[built.Count];
        for (int round = 0; round < runs; round++)
            foreach (int v in Enumerable.Range(0, built.Count).Select(k => (round + k) % built.Count))
            {
                ProcessMemory.TryResetPeak();
                samples[v].Add(Measure(built[v].Model, pixels, config.ImageTokenId));
                peaks[v] = Math.Max(peaks[v], ProcessMemory.Peak);
            }
        var rows = new List<Row>();
        for (int v = 0; v < built.Count; v++)
        {
            double Median(Func<Row, double> f) => new Timing(samples[v].Select(f).ToList()).Median;
            rows.Add(samples[v][0] with
            {
                Reducer = built[v].Spec, VisionMs = Median(r => r.VisionMs), PrefillMs = Median(r => r.PrefillMs), TimeToFirstTokenMs = Median(r => r.TimeToFirstTokenMs),
                PrefillTokensPerSecond = Median(r => r.PrefillTokensPerSecond), DecodeTokensPerSecond = Median(r => r.DecodeTokensPerSecond), PeakBytes = peaks[v],
            });
        }
        var profiles = profile
            ? built.Select(v => BenchProfile.Measure($"answer ({DecodeTokens + 1} tokens), {v.Spec}", 1, runs, () => Measure(v.Model, pixels, config.ImageTokenId))).ToList()
            : null;
        double bandwidth = Bandwidth();
        long weightBytes = model.Decoder.StepWeightBytes(precision);
        double bound = bandwidth / weightBytes;
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                model = $"{Name} (random weights)", precision = CliOptions.PrecisionName(precision), decode_tokens = DecodeTokens, memory_bandwidth_bytes_per_second = bandwidth,
                decoder_step_weight_bytes = weightBytes, decode_bound_tokens_per_second = bound,
                results = rows.Select(r => new
                {
                    reducer = r.Reducer, visual_tokens = r.VisualTokens, prompt_tokens = r.PromptTokens, vision_ms = r.VisionMs, prefill_ms = r.PrefillMs,
                    time_to_first_token_ms = r.TimeToFirstTokenMs, ttft_speedup = rows[0].TimeToFirstTokenMs / r.TimeToFirstTokenMs,
                    prefill_tokens_per_second = r.PrefillTokensPerSecond, decode_tokens_per_second = r.DecodeTokensPerSecond,
                    decode_fraction_of_bound = r.DecodeTokensPerSecond / bound, kv_cache_bytes = r.KvCacheBytes, peak_bytes = r.PeakBytes,
                }),
                profiles,
            }, EvalOptions.JsonOptionsOmittingNulls));
            return 0;
        }
        output.WriteLine($"{Name} (random weights, {CliOptions.PrecisionName(precision)}): memory bandwidth {bandwidth / 1e9:F1} GB/s, decoder weights {weightBytes / 1e6:F0} MB a step → decode bound {bound:F2} tokens/s");
        output.WriteLine($"{"reducer",-34} {"visual",6} {"prompt",6} {"vision ms",10} {"prefill ms",10} {"TTFT ms",9} {"speed-up",8} {"prefill tok/s",13} {"decode tok/s",12} {"of bound",8} {"KV MB",7} {"peak MB",8}");
        foreach (var r in rows)
            output.WriteLine($"{r.Reducer,-34} {r.VisualTokens,6} {r.PromptTokens,6} {r.VisionMs,10:F0} {r.PrefillMs,10:F0} {r.TimeToFirstTokenMs,9:F0} {rows[0].TimeToFirstTokenMs / r.TimeToFirstTokenMs,7:F2}× {r.PrefillTokensPerSecond,13:F0} {r.DecodeTokensPerSecond,12:F2} {r.DecodeTokensPerSecond / bound,7:P0} {r.KvCacheBytes / 1e6,7:F1} {r.PeakBytes / 1e6,8:F0}");
        if (profiles != null) BenchCommand.WriteProfiles(profiles, markdown ? output : null);
        return 0;
    }

    /// <summary>One answer: image to first token, then <see cref="DecodeTokens"/> greedy steps.</summary>
    static Row Measure(LlavaModel model, float[] pixels, int imageToken)
    {
        var clock = Stopwatch.StartNew();
        var image = model.ImageFeatures(pixels);
        double vision = clock.Elapsed.TotalMilliseconds;
        // LLaVA-1.5's prompt around the image with a 14-token question, as llava-hf's tokenizer gives it. Its text ids are
        // taken modulo the image token's, which follows the text vocabulary in llava-hf's checkpoints (32000): the same ids
        // at llava-tiny's size, and ids a test's tiny vocabulary has.
        int Text(int id) => id % imageToken;
        int[] ids = [.. new[] { 1, 3148, 1001, 29901, 29871 }.Select(Text), .. Enumerable.Repeat(imageToken, image.Count),
            .. new[] { 29871, 13 }.Concat(Enumerable.Range(1724, 14)).Concat([319, 1799, 9047, 13566, 29901]).Select(Text)];
        var (session, logits) = model.Prefill(ids, image);
        int next = ArgMax(logits);
        double ttft = clock.Elapsed.TotalMilliseconds;
        var decode = Stopwatch.StartNew();
        for (int i = 0; i < DecodeTokens; i++) next = ArgMax(session.Append([next]));
        double decodeSeconds = decode.Elapsed.TotalSeconds;
        return new Row("", image.Count, ids.Length, vision, ttft - vision, ttft, ids.Length / ((ttft - vision) / 1000), DecodeTokens / decodeSeconds,
            session.CacheBytes, 0);
    }

    static int ArgMax(float[] logits)
    {
        int best = 0;
        for (int v = 1; v < logits.Length; v++) if (logits[v] > logits[best]) best = v;
        return best;
    }

    /// <summary>Bytes per second read by summing a 512 MB buffer on every thread (best of 5): the bound a weight-streaming decode step can reach.</summary>
    static double Bandwidth()
    {
        var buffer = new float[128 << 20];
        Array.Fill(buffer, 1f);
        int threads = Threading.MaxThreads, chunk = (buffer.Length + threads - 1) / threads;
        double best = 0;
        for (int r = 0; r < 5; r++)
        {
            var clock = Stopwatch.StartNew();
            var sums = new float[threads];
            Threading.For(threads, t => sums[t] = System.Numerics.Tensors.TensorPrimitives.Sum(buffer.AsSpan(t * chunk, Math.Min(chunk, buffer.Length - t * chunk))));
            best = Math.Max(best, buffer.Length * 4.0 / clock.Elapsed.TotalSeconds);
            GC.KeepAlive(sums);
        }
        return best;
    }
}
