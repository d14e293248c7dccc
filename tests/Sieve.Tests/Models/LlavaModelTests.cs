using Sieve.Data;
using Sieve.Models;
using Sieve.Models.Generation;
using Sieve.Nn;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;

namespace Sieve.Tests.Models;

/// <summary>
/// LLaVA (<see cref="LlavaModel"/>) against the float64 <see cref="LlavaReference"/> on tiny checkpoints in the exact
/// Hugging Face layout: logits at every decode step with the key/value cache against a full recompute, grouped-query
/// attention at several key/value head ratios, rotary embeddings at long positions, the decoder's attention to merged
/// (sized) visual tokens, the chat prompt's token ids, sampling, and bad input.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class LlavaModelTests
{
    // Float32 against float64 through 2 CLIP layers, the projector and 2 Llama layers: relative errors of a few 1e-6.
    const double Tolerance = 2e-5;

    static float[] Pixels(int seed, TinyLlava.Shape s) => Rand.Uniform(new Random(seed), 3 * s.ImageSize * s.ImageSize);

    static LlavaReference.Dims Dims(TinyLlava.Shape s) => new(s.VisionWidth, s.VisionLayers + 1 + s.FeatureLayer, s.VisionHeads, s.VisionHidden, s.ImageSize, s.Patch,
        s.TextWidth, s.TextLayers, s.Heads, s.KvHeads, s.HeadDim, s.TextHidden, TinyLlava.VocabSize, s.RopeTheta, TinyLlava.Shape.RmsEps, s.Tied);

    static void AssertClose(ReadOnlySpan<float> got, ReadOnlySpan<double> want, string what) => Float64Parity.AssertClose(got, want, Tolerance, $"{what}, logit");

    /// <summary>A prompt: &lt;s&gt;, a few words, every visual token, more words.</summary>
    static int[] Prompt(int imageTokens, params string[] after) =>
        [1, TinyLlava.Id("▁US"), TinyLlava.Id("ER"), .. Enumerable.Repeat(TinyLlava.ImageToken, imageTokens), .. after.Select(TinyLlava.Id)];

    /// <summary>Checks the logits after every prefix of <paramref name="ids"/> from <paramref name="prefill"/> on, fed one token a step.</summary>
    static void AssertStepsMatch(LlavaModel model, TinyCheckpoint ck, TinyLlava.Shape shape, int[] ids, int prefill, float[] pixels, string what)
    {
        var image = model.ImageFeatures(pixels);
        double[] W(string name) => ck[name];
        var dims = Dims(shape);
        var referenceImage = LlavaReference.ImageFeatures(W, Ref64.ToDouble(pixels), dims);
        var want = LlavaReference.Logits(W, ids, TinyLlava.ImageToken, referenceImage, dims);
        int v = TinyLlava.VocabSize;
        var (session, logits) = model.Prefill(ids.AsSpan(0, prefill), image);
        var steps = new List<float[]> { logits };
        for (int i = prefill; i < ids.Length; i++) steps.Add(session.Append(ids.AsSpan(i, 1)));
        for (int s = 0; s < steps.Count; s++)
        {
            int position = prefill - 1 + s;
            AssertClose(steps[s], want.AsSpan(position * v, v), $"{what}, position {position}");
            // The cache's step equals the same prefix recomputed from scratch.
            var (_, full) = model.Prefill(ids.AsSpan(0, position + 1), image);
            for (int j = 0; j < v; j++)
                Assert.True(Math.Abs(full[j] - steps[s][j]) <= 1e-5 * (1 + Math.Abs(full[j])), $"{what}, position {position}, logit {j}: cached {steps[s][j]} vs recomputed {full[j]}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LogitsAtEveryDecodeStepWithTheCacheEqualAFullRecomputeAndTheFloat64Reference(bool tied)
    {
        var shape = new TinyLlava.Shape(Tied: tied);
        using var ck = TinyLlava.Write(11, shape);
        var model = LlavaModel.Load(ck.Directory);
        int n = shape.Grid * shape.Grid;
        Assert.Equal(n, model.Config.ImageTokens);
        int[] ids = Prompt(n, "▁", "<0x0A>", "cat", "?", "▁", "A", "S", "S", "I", "S", "T", "A", "N", "T", ":", "d", "o", "g");
        AssertStepsMatch(model, ck, shape, ids, n + 8, Pixels(12, shape), tied ? "tied head" : "untied head");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void GroupedQueryAttentionMatchesTheReferenceAtEveryKeyValueHeadRatio(int kvHeads)
    {
        var shape = new TinyLlava.Shape(KvHeads: kvHeads);
        using var ck = TinyLlava.Write(20 + kvHeads, shape);
        var model = LlavaModel.Load(ck.Directory);
        int n = shape.Grid * shape.Grid;
        AssertStepsMatch(model, ck, shape, Prompt(n, "cat", "?", "d", "o", "g"), n + 4, Pixels(30, shape), $"{kvHeads} key/value heads");
    }

    [Fact]
    public void DecodingAtLongPositionsMatchesTheReference()
    {
        // A long prompt puts the decode steps past position 1,000, where a float32 angle (position × frequency) would be off
        // by ~1e-4 radians; a high rope_theta as Llama 3 uses.
        var shape = new TinyLlava.Shape(Positions: 1100, RopeTheta: 500000);
        using var ck = TinyLlava.Write(40, shape);
        var model = LlavaModel.Load(ck.Directory);
        int n = shape.Grid * shape.Grid;
        var words = Enumerable.Range(0, 1030).Select(i => new[] { "c", "a", "t", "▁", "d", "o", "g", "?" }[i * 7 % 8]).ToArray();
        int[] ids = Prompt(n, words);
        AssertStepsMatch(model, ck, shape, ids, ids.Length - 3, Pixels(41, shape), "long positions");
    }

    [Theory]
    [InlineData(10000.0)]
    [InlineData(500000.0)]
    public void RotaryEmbeddingAtLongPositionsMatchesFloat64(double theta)
    {
        const int dh = 16, heads = 3;
        int[] positions = [0, 1, 4095, 32767, 131071, 1_000_003];
        var x = Rand.Uniform(new Random(5), positions.Length * heads * dh);
        var want = Ref64.ToDouble(x);
        for (int t = 0; t < positions.Length; t++)
            for (int h = 0; h < heads; h++) LlavaReference.Rope(want, (t * heads + h) * dh, dh, positions[t], theta);
        new RotaryEmbedding(dh, theta).Apply(x, 0, heads * dh, positions.Length, heads, positions);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - want[i]) < 1e-6, $"value {i}: {x[i]} vs float64 {want[i]}");
    }

    [Fact]
    public void MergedVisualTokensWeighAsTheirSizesInTheDecodersAttention()
    {
        var shape = new TinyLlava.Shape();
        using var ck = TinyLlava.Write(50, shape);
        var model = LlavaModel.Load(ck.Directory);
        var dense = model.ImageFeatures(Pixels(51, shape));
        var logSizes = Enumerable.Range(0, dense.Count).Select(i => (float)Math.Log(1 + i % 4)).ToArray();
        var sized = TokenContext.Of(dense.Features, dense.Count, dense.Width, logSizes);
        int[] ids = Prompt(dense.Count, "cat", "?", "d", "o");
        var keyLogSizes = new double[ids.Length];
        for (int i = 0, row = 0; i < ids.Length; i++) if (ids[i] == TinyLlava.ImageToken) keyLogSizes[i] = logSizes[row++];
        var want = LlavaReference.Logits(n => ck[n], ids, TinyLlava.ImageToken, Ref64.ToDouble(dense.Features), Dims(shape), keyLogSizes);
        int v = TinyLlava.VocabSize, prefill = ids.Length - 2;
        var (session, logits) = model.Prefill(ids.AsSpan(0, prefill), sized);
        AssertClose(logits, want.AsSpan((prefill - 1) * v, v), "prefill");
        for (int i = prefill; i < ids.Length; i++) AssertClose(session.Append(ids.AsSpan(i, 1)), want.AsSpan(i * v, v), $"step at {i}");
    }

    [Fact]
    public void TheChatPromptTokenizesAsLlavaHfDoes()
    {
        using var ck = TinyLlava.Write(60);
        var model = LlavaModel.Load(ck.Directory);
        // "USER: <image>\ncat? ASSISTANT:" — the Prepend("▁") normalizer runs on each piece between added tokens, so
        // "USER: " is "▁USER:▁" (▁US ER : ▁) and "\ncat? ASSISTANT:" is "▁\ncat?▁ASSISTANT:" with "\n" as its byte token.
        string[] pieces = ["<s>", "▁US", "ER", ":", "▁", "<image>", "▁", "<0x0A>", "cat", "?", "▁", "A", "S", "S", "I", "S", "T", "A", "N", "T", ":"];
        int[] want = pieces.Select(p => p == "<s>" ? 1 : TinyLlava.Id(p)).ToArray();
        Assert.Equal(want, model.PromptIds("cat?", 1));
        var expanded = model.PromptIds("cat?", 3);
        Assert.Equal(3, expanded.Count(id => id == TinyLlava.ImageToken));
        Assert.Equal(want.Length + 2, expanded.Length);
        // Decoding drops the specials, fuses byte tokens and turns ▁ into spaces, less the first.
        Assert.Equal("USER:  \ncat? ASSISTANT:", model.Tokenizer.Decode(want)); // the skipped <image> leaves the ▁ on each side
        Assert.Equal("é cat", model.Tokenizer.Decode(model.Tokenizer.Encode("é cat")));
    }

    [Fact]
    public void GreedyChatFollowsTheReferencesArgmaxAndStreamsTheSameText()
    {
        var shape = new TinyLlava.Shape();
        using var ck = TinyLlava.Write(70, shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(71, shape);
        var streamed = new List<string>();
        var answer = model.Chat(pixels, "cat?", new GenerationOptions(MaxNewTokens: 6), streamed.Add);
        Assert.Equal(answer.Text, string.Concat(streamed));
        int n = shape.Grid * shape.Grid;
        Assert.Equal(n, answer.VisualTokens);
        var dims = Dims(shape);
        var image = LlavaReference.ImageFeatures(n => ck[n], Ref64.ToDouble(pixels), dims);
        var sequence = model.PromptIds("cat?", n).ToList();
        Assert.Equal(sequence.Count, answer.PromptTokens);
        foreach (int token in answer.Tokens)
        {
            var logits = LlavaReference.Logits(n => ck[n], [.. sequence], TinyLlava.ImageToken, image, dims).AsSpan((sequence.Count - 1) * TinyLlava.VocabSize, TinyLlava.VocabSize).ToArray();
            var sorted = logits.OrderDescending().ToArray();
            if (sorted[0] - sorted[1] > 1e-3) Assert.Equal(Array.IndexOf(logits, sorted[0]), token);
            sequence.Add(token);
        }
        Assert.True(answer.Tokens.Length == 6 || model.Stops.Contains(answer.Tokens[^1]));
        Assert.Equal(answer.PromptTokens + answer.Tokens.Length - 1, answer.CacheBytes / (2 * shape.TextLayers * shape.KvHeads * shape.HeadDim * sizeof(float)));
    }

    [Fact]
    public void SamplingIsSeededAndATinyTopPIsGreedy()
    {
        var shape = new TinyLlava.Shape();
        using var ck = TinyLlava.Write(80, shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(81, shape);
        var greedy = model.Chat(pixels, "dog?", new GenerationOptions(MaxNewTokens: 8));
        Assert.Equal(greedy.Tokens, model.Chat(pixels, "dog?", new GenerationOptions(MaxNewTokens: 8, Temperature: 1.5f, TopP: 1e-6f, Seed: 3)).Tokens);
        var hot = new GenerationOptions(MaxNewTokens: 8, Temperature: 5f, Seed: 7);
        var first = model.Chat(pixels, "dog?", hot);
        Assert.Equal(first.Tokens, model.Chat(pixels, "dog?", hot).Tokens);
        Assert.Equal(greedy.Tokens, model.Chat(pixels, "dog?", hot with { TopK = 1 }).Tokens); // one token left to draw: the most likely
        // At a high temperature over ~300 tokens, eight seeds all drawing the greedy answer would be a broken sampler.
        Assert.Contains(Enumerable.Range(0, 8), seed => !model.Chat(pixels, "dog?", hot with { Seed = seed }).Tokens.SequenceEqual(greedy.Tokens));
    }

    [Fact]
    public void AnImageTokenCountThatDoesNotMatchThePlaceholdersIsAOneLineError()
    {
        using var ck = TinyLlava.Write(90);
        var model = LlavaModel.Load(ck.Directory);
        var image = model.ImageFeatures(Pixels(91, new TinyLlava.Shape()));
        var e = Assert.Throws<ArgumentException>(() => model.Prefill(model.PromptIds("cat?", image.Count - 1), image));
        Assert.Contains($"the prompt has {image.Count - 1} image tokens", e.Message);
        Assert.Contains($"the image gives {image.Count} features", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void APromptLongerThanTheContextIsAOneLineError()
    {
        using var ck = TinyLlava.Write(92, new TinyLlava.Shape(Positions: 30));
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(93, new TinyLlava.Shape());
        var e = Assert.Throws<ArgumentException>(() => model.Chat(pixels, "cat? dog? cat? dog?"));
        Assert.Contains("more than the decoder's 30 positions (max_position_embeddings)", e.Message);
        // A prompt that fits but whose answer would not stops being generated at the context, with the same error.
        var tooLong = Assert.Throws<ArgumentException>(() => model.Chat(pixels, "cat?", new GenerationOptions(MaxNewTokens: 20)));
        Assert.Contains("max_position_embeddings", tooLong.Message);
    }

    [Fact]
    public void AMissingTokenizerFileIsAOneLineError()
    {
        using var ck = TinyLlava.Write(94, tokenizer: false);
        var e = Assert.Throws<SieveFormatException>(() => LlavaModel.Load(ck.Directory));
        Assert.Contains("tokenizer.json is missing", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AByteLevelTokenizerIsRefusedByName()
    {
        using var ck = TinyLlava.Write(95);
        string path = Path.Combine(ck.Directory, "tokenizer.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"pre_tokenizer\":null", "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}"));
        var e = Assert.Throws<SieveFormatException>(() => LlavaModel.Load(ck.Directory));
        Assert.Contains("pre_tokenizer \"ByteLevel\" is not supported", e.Message);
    }
}
