using Sieve.Models;
using Sieve.Models.Generation;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;

namespace Sieve.Tests.Models;

/// <summary>
/// BLIP captioning and VQA (<see cref="BlipGenerator"/>) against the float64 decoder and search of
/// <see cref="BlipGenerationReference"/>: logits at every step (the key/value cache against a full recompute), greedy
/// and beam captions, VQA answers; reducers (r = 0, token sizes in the decoder's cross-attention); loading errors.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class BlipGeneratorTests
{
    // Float32 against float64 through 2 vision + 2 decoder layers and the LM head (post-norm LayerNorms at eps 1e-12):
    // relative errors of a few 1e-6, as for BLIP retrieval.
    const double Tolerance = 2e-5;

    static readonly TinyBlip.Shape Caption = new();

    // VQA's decoder reads the question's states through encoder_hidden_size, so the text is as wide as the vision tower.
    static readonly TinyBlip.Shape Vqa = new(TextWidth: 32, TextHeads: 4, TextHidden: 64);

    static int Sep => TinyBlip.Id("[SEP]");

    static float[] Pixels(int seed, TinyBlip.Shape s) => Rand.Uniform(new Random(seed), 3 * s.ImageSize * s.ImageSize);

    static int[] Ids(params string[] tokens) => tokens.Select(TinyBlip.Id).ToArray();

    static void AssertClose(float[] got, ReadOnlySpan<double> want, string what) => Float64Parity.AssertClose(got, want, Tolerance, $"{what}, logit");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DecoderLogitsAtEveryStepWithTheCacheEqualAFullRecomputeAndTheFloat64Reference(bool untied)
    {
        using var ck = TinyBlip.Write(91, Caption, architecture: BlipArchitecture.ConditionalGeneration, untiedLogits: untied);
        var model = BlipGenerator.Load(ck.Directory);
        Assert.Equal(BlipArchitecture.ConditionalGeneration, model.Architecture);
        var pixels = Pixels(92, Caption);
        double[] W(string name) => ck[name];
        var image = BlipReference.ImageStates(W, Caption, Ref64.ToDouble(pixels));
        int[] ids = [TinyBlip.Dec, .. Ids("a", "photo", "of", "two", "cat", "##s", "on", "the")];
        var want = BlipGenerationReference.Logits(W, Caption, ids, image, tied: !untied);
        int v = TinyBlip.VocabSize;

        using var context = model.AttendImage(pixels);
        // The prompt's first three tokens at once, then one token a step, as captioning with a prompt runs.
        var session = model.Decoder.Start(context);
        var steps = new List<float[]> { session.Append(ids.AsSpan(0, 3)) };
        for (int i = 3; i < ids.Length; i++) steps.Add(session.Append(ids.AsSpan(i, 1)));
        Assert.Equal(ids.Length, session.Length);
        for (int k = 0; k < steps.Count; k++)
        {
            int last = k + 2; // position of the token whose logits step k returned
            var full = model.Decoder.Start(context).Append(ids.AsSpan(0, last + 1));
            Assert.Equal(full, steps[k]); // the cache changes no bit
            AssertClose(steps[k], want.AsSpan(last * v, v), $"position {last}");
        }
        // A fork continues independently: the original is untouched by the fork's step.
        var fork = session.Fork();
        Assert.Equal(fork.Append([TinyBlip.Id("sofa")]), session.Append([TinyBlip.Id("sofa")]));
    }

    public static TheoryData<int, string?, int, int, double> Searches => new()
    {
        { 1, null, 12, 0, 1.0 },
        { 1, "a photo of", 12, 0, 1.0 },
        { 1, null, 10, 6, 1.3 },
        { 3, null, 12, 0, 1.0 },
        { 3, "a photo of", 12, 7, 1.2 },
        { 2, null, 9, 0, 1.0 },
    };

    [Theory]
    [MemberData(nameof(Searches))]
    public void GreedyAndBeamCaptionsAreTheReferences(int beams, string? prompt, int maxLength, int minLength, double penalty)
    {
        using var ck = TinyBlip.Write(93, Caption, architecture: BlipArchitecture.ConditionalGeneration);
        var model = BlipGenerator.Load(ck.Directory);
        double[] W(string name) => ck[name];
        var settings = new BlipGenerationReference.Settings(maxLength, minLength, beams, penalty);
        var options = new GenerationOptions(maxLength, minLength, beams, (float)penalty);
        for (int seed = 0; seed < 3; seed++)
        {
            var pixels = Pixels(100 + seed, Caption);
            var image = BlipReference.ImageStates(W, Caption, Ref64.ToDouble(pixels));
            var promptIds = model.CaptionPrompt(prompt);
            Assert.Equal(prompt == null ? [TinyBlip.Dec] : [TinyBlip.Dec, .. Ids("a", "photo", "of")], promptIds);
            var want = beams == 1
                ? BlipGenerationReference.Greedy(W, Caption, image, promptIds, settings, Sep)
                : BlipGenerationReference.Beam(W, Caption, image, promptIds, settings, Sep);
            var got = model.Caption(pixels, promptIds, options);
            Assert.Equal(want, got);
            Assert.True(got.Length >= Math.Min(minLength, maxLength) && got.Length <= maxLength, $"length {got.Length}");
        }
    }

    [Fact]
    public void CaptionTextIsTheDecodedSequenceWithThePromptAndWithoutSpecialTokens()
    {
        // The default max_length (20) exceeds the tiny decoder's 16 positions; the checkpoint states 12.
        using var ck = TinyBlip.Write(93, Caption, architecture: BlipArchitecture.ConditionalGeneration,
            editConfig: c => ((Dictionary<string, object>)c["text_config"])["max_length"] = 12);
        var model = BlipGenerator.Load(ck.Directory);
        var rgb = new Sieve.Data.RgbImage(40, 40, Enumerable.Range(0, 40 * 40 * 3).Select(i => (byte)(i * 7)).ToArray());
        var pixels = model.Preprocessor.Process(rgb);
        var ids = model.Caption(pixels, model.CaptionPrompt("a photo of"));
        string expected = string.Join(' ', ids.Where(id => id != TinyBlip.Dec && id != Sep).Select(id => TinyBlip.Vocab[id])).Replace(" ##", "")
            .Replace(" .", ".").Replace(" !", "!").Replace(" ,", ",");
        Assert.StartsWith("a photo of", expected);
        Assert.Equal(expected, model.Caption(rgb, "a photo of"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void VqaAnswersAreTheReferences(int beams)
    {
        using var ck = TinyBlip.Write(95, Vqa, architecture: BlipArchitecture.QuestionAnswering);
        var model = BlipGenerator.Load(ck.Directory);
        Assert.Equal(BlipArchitecture.QuestionAnswering, model.Architecture);
        double[] W(string name) => ck[name];
        var settings = new BlipGenerationReference.Settings(10, Beams: beams);
        int[] question = Ids("[CLS]", "two", "cat", "##s", "on", "the", "sofa", "[SEP]");
        Assert.Equal(question, model.QuestionIds("two cats on the sofa"));
        for (int seed = 0; seed < 3; seed++)
        {
            var pixels = Pixels(110 + seed, Vqa);
            var image = BlipReference.ImageStates(W, Vqa, Ref64.ToDouble(pixels));
            var states = BlipReference.TextStates(W, Vqa, question, image);
            var want = beams == 1
                ? BlipGenerationReference.Greedy(W, Vqa, states, [TinyBlip.Dec], settings, Sep)
                : BlipGenerationReference.Beam(W, Vqa, states, [TinyBlip.Dec], settings, Sep);
            Assert.Equal(want, model.Answer(pixels, question, new GenerationOptions(10, Beams: beams)));
        }
    }

    [Fact]
    public void ReducersAtRZeroAreBitIdenticalToDense()
    {
        using var ck = TinyBlip.Write(97, Vqa, architecture: BlipArchitecture.QuestionAnswering);
        var dense = BlipGenerator.Load(ck.Directory);
        var pixels = Pixels(98, Vqa);
        int[] question = Ids("[CLS]", "two", "cat", "##s", "[SEP]");
        var options = new GenerationOptions(10, Beams: 2);
        foreach (string spec in new[] { "tome:r=0", "crossget:r=0", "vision=tome:r=0;text=tome:r=0" })
        {
            var reduced = dense.WithReduction(ModelReduction.Parse(spec));
            using var a = dense.AttendImage(pixels);
            using var b = reduced.AttendImage(pixels);
            int[] prompt = [TinyBlip.Dec, .. Ids("a", "photo")];
            Assert.Equal(dense.Decoder.Start(a).Append(prompt), reduced.Decoder.Start(b).Append(prompt));
            Assert.Equal(dense.Answer(pixels, question, options), reduced.Answer(pixels, question, options));
        }
    }

    [Fact]
    public void ReducedVisionChangesWhatTheDecoderReads()
    {
        using var ck = TinyBlip.Write(97, Caption, architecture: BlipArchitecture.ConditionalGeneration);
        var dense = BlipGenerator.Load(ck.Directory);
        var reduced = dense.WithReduction(ModelReduction.Parse("vision=tome:r=4"));
        var pixels = Pixels(98, Caption);
        using var a = dense.AttendImage(pixels);
        using var b = reduced.AttendImage(pixels);
        Assert.Equal(Caption.Tokens, a.Layers[0].Count);
        Assert.Equal(Caption.Tokens - 8, b.Layers[0].Count); // 4 merges in each of 2 layers
        Assert.NotNull(b.Layers[0].LogSizes);
        Assert.NotEqual(dense.Decoder.Start(a).Append([TinyBlip.Dec]), reduced.Decoder.Start(b).Append([TinyBlip.Dec]));
    }

    [Fact]
    public void TheDecodersCrossAttentionWeighsAMergedTokenOfSizeTwoAsItsTwoCopies()
    {
        using var ck = TinyBlip.Write(99, Caption, architecture: BlipArchitecture.ConditionalGeneration);
        var model = BlipGenerator.Load(ck.Directory);
        int dv = Caption.VisionWidth;
        var tokens = Rand.Normal(new Random(5), 3 * dv); // c, x, y
        using var duplicated = new TokenSet(Modality.Image, 4, dv, 4);
        foreach (var (row, source) in new[] { (0, 0), (1, 1), (2, 1), (3, 2) })
            tokens.AsSpan(source * dv, dv).CopyTo(duplicated.Row(row));
        using var merged = new TokenSet(Modality.Image, 4, dv, 4);
        duplicated.Features.CopyTo(merged.Features);
        merged.Apply(MergePlan.FromTargets([0, 1, 1, 3], [1, 1, 1, 1]));
        Assert.Equal([1f, 2f, 1f], merged.Sizes.ToArray());

        using var a = model.Decoder.Attend(TokenContext.Of(duplicated));
        using var b = model.Decoder.Attend(TokenContext.Of(merged));
        int[] ids = [TinyBlip.Dec, .. Ids("a", "cat")];
        var sa = model.Decoder.Start(a);
        var sb = model.Decoder.Start(b);
        foreach (int id in ids)
        {
            var la = sa.Append([id]);
            var lb = sb.Append([id]);
            for (int i = 0; i < la.Length; i++) Assert.Equal(la[i], lb[i], 1e-4);
        }
    }

    [Fact]
    public void ARetrievalFolderCannotCaptionAndACaptioningFolderCannotAnswer()
    {
        using var retrieval = TinyBlip.Write(1, Caption);
        var e = Assert.Throws<SieveFormatException>(() => BlipGenerator.Load(retrieval.Directory));
        Assert.Contains("no text decoder", e.Message);
        Assert.Contains("BlipForImageTextRetrieval", e.Message);

        using var captioning = TinyBlip.Write(2, Caption, architecture: BlipArchitecture.ConditionalGeneration);
        var model = BlipGenerator.Load(captioning.Directory);
        var a = Assert.Throws<SieveFormatException>(() => model.Answer(Pixels(3, Caption), Ids("[CLS]", "cat", "[SEP]")));
        Assert.Contains("no text encoder", a.Message);
    }

    [Fact]
    public void APromptOrMaxLengthBeyondTheDecodersPositionsIsRefused()
    {
        using var ck = TinyBlip.Write(4, Caption, architecture: BlipArchitecture.ConditionalGeneration);
        var model = BlipGenerator.Load(ck.Directory);
        string tooLong = string.Join(' ', Enumerable.Repeat("cat", Caption.Positions));
        var e = Assert.Throws<ArgumentException>(() => model.CaptionPrompt(tooLong));
        Assert.Contains($"{Caption.Positions + 1} tokens", e.Message);
        Assert.Contains("max_position_embeddings", e.Message);
        var m = Assert.Throws<ArgumentException>(() => model.Caption(Pixels(5, Caption), [TinyBlip.Dec], new GenerationOptions(MaxLength: Caption.Positions + 1)));
        Assert.Contains("exceeds the text decoder's 16 positions", m.Message);
        var p = Assert.Throws<ArgumentException>(() => model.Caption(Pixels(5, Caption), model.CaptionPrompt("a photo of"), new GenerationOptions(MaxLength: 4)));
        Assert.Contains("nothing is left to generate", p.Message);
    }

    [Fact]
    public void DecodingDefaultsComeFromGenerationConfigElseTextConfig()
    {
        using var ck = TinyBlip.Write(6, Caption, architecture: BlipArchitecture.ConditionalGeneration,
            editConfig: c => ((Dictionary<string, object>)c["text_config"])["max_length"] = 13);
        Assert.Equal(new GenerationOptions(13), BlipGenerator.Load(ck.Directory).Generation);
        File.WriteAllText(Path.Combine(ck.Directory, "generation_config.json"), """{"max_length": 11, "min_length": 5, "num_beams": 3, "repetition_penalty": 1.5}""");
        Assert.Equal(new GenerationOptions(11, 5, 3, 1.5f), BlipGenerator.Load(ck.Directory).Generation);
        File.WriteAllText(Path.Combine(ck.Directory, "generation_config.json"), """{"max_length": 11, "min_length": 15}""");
        var e = Assert.Throws<SieveFormatException>(() => BlipGenerator.Load(ck.Directory));
        Assert.Contains("generation_config.json: min length 15", e.Message);
    }
}
