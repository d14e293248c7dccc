using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tests.Reduction;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Models;

/// <summary>BLIP retrieval (vision features, contrastive score, matching probability) against the float64 reference; its tokenizer, preprocessing, loading errors and reducers.</summary>
[Collection(ThreadCountCollection.Name)]
public class BlipModelTests
{
    // Float32 compute vs float64 over 2 + 2 layers (the text's post-norm LayerNorms at eps 1e-12): relative errors of a
    // few 1e-6; F16/BF16 storage is rounded identically on both sides, so the same tolerance holds.
    const double Tolerance = 2e-5;

    static void AssertClose(ReadOnlySpan<float> got, double[] want) => Float64Parity.AssertClose(got, want, Tolerance);

    static int[] Ids(params string[] tokens) => tokens.Select(TinyBlip.Id).ToArray();

    static readonly int[] Caption = Ids("[CLS]", "a", "photo", "of", "two", "cat", "##s", "on", "the", "sofa", "[SEP]");

    static float[] Pixels(int seed, TinyBlip.Shape s) => Rand.Uniform(new Random(seed), 3 * s.ImageSize * s.ImageSize);

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void FeaturesScoresAndMatchProbabilityMatchTheFloat64Reference(DType dtype)
    {
        var shape = new TinyBlip.Shape();
        using var ck = TinyBlip.Write(81, shape, dtype);
        var model = BlipModel.Load(ck.Directory);
        var pixels = Pixels(82, shape);
        double[] W(string name) => ck[name];

        var states = BlipReference.ImageStates(W, shape, Ref64.ToDouble(pixels));
        var image = BlipReference.ImageEmbedding(W, shape, states);
        var text = BlipReference.TextEmbedding(W, shape, Caption);
        AssertClose(model.Vision.Encode(pixels), image);
        AssertClose(model.EncodeImage(TowerInput.Image(pixels, shape.ImageSize)), image);
        AssertClose(model.Text.Encode(Caption), text);

        var match = model.Match(pixels, Caption);
        double probability = BlipReference.MatchProbability(W, shape, Caption, states);
        Assert.InRange(probability, 0.02, 0.98); // the head's logits are not saturated: the check has teeth
        Assert.Equal(probability, match.MatchProbability, Tolerance);
        Assert.Equal(BlipReference.ContrastiveScore(image, text), match.ContrastiveScore, Tolerance);
    }

    [Fact]
    public void MatchProbabilityDependsOnTheImageThroughCrossAttention()
    {
        var shape = new TinyBlip.Shape();
        using var ck = TinyBlip.Write(83, shape);
        var model = BlipModel.Load(ck.Directory);
        var a = model.Match(Pixels(1, shape), Caption);
        var b = model.Match(Pixels(2, shape), Caption);
        Assert.NotEqual(a.MatchProbability, b.MatchProbability);
        Assert.Equal(BlipReference.MatchProbability(n => ck[n], shape, Caption, BlipReference.ImageStates(n => ck[n], shape, Ref64.ToDouble(Pixels(2, shape)))),
            b.MatchProbability, Tolerance);
    }

    [Fact]
    public void TokenizerGivesTheHandWrittenIdsWithBlipsAddedTokens()
    {
        using var ck = TinyBlip.Write(84);
        var model = BlipModel.Load(ck.Directory);
        // vocab.txt: [PAD] 0 [UNK] 1 [CLS] 2 [SEP] 3 [MASK] 4 a 5 photo 6 of 7 cat 8 dog 9 on 10 the 11 sofa 12 play 13
        // two 14 . 15 , 16 ! 17 ##s 18 ##ing 19 ##e 20; tokenizer.json adds [DEC] 21 and [ENC] 22.
        Assert.Equal([2, 5, 6, 7, 14, 8, 18, 10, 11, 12, 15, 3], model.Tokenize("A photo of two CATS on the sofa.").Ids);
        Assert.Equal([2, 9, 13, 19, 16, 9, 13, 20, 17, 3], model.Tokenize("dog playing, dog playe!").Ids);
        Assert.Equal([2, 22, 5, 8, 21, 3], model.Tokenize("[ENC] a cat[DEC]").Ids);
        // Added tokens match case-sensitively in the raw text: "[enc]" is three unknown pieces.
        Assert.Equal([2, 1, 5, 1, 1, 1, 3], model.Tokenize("zebra a [enc]").Ids);
    }

    [Fact]
    public void ATextLongerThanThePositionsIsRefusedNotCut()
    {
        using var ck = TinyBlip.Write(85);
        var model = BlipModel.Load(ck.Directory);
        var error = Assert.Throws<ArgumentException>(() => model.Tokenize(string.Join(' ', Enumerable.Repeat("cat", 15))));
        Assert.Contains("17 tokens, more than the model's 16", error.Message);
        Assert.Equal(16, model.Tokenize(string.Join(' ', Enumerable.Repeat("cat", 14))).Ids.Length);
    }

    [Fact]
    public void PreprocessingResizesToTheSquareWithoutCropping()
    {
        using var ck = TinyBlip.Write(86);
        var model = BlipModel.Load(ck.Directory);
        // A wide image in three bands, red, green, blue. A centre crop would keep only green; stretching keeps the red
        // band in the first columns and the blue one in the last.
        var image = new RgbImage(96, 20, Enumerable.Range(0, 96 * 20).SelectMany(i => (i % 96 / 32) switch
        {
            0 => new byte[] { 255, 0, 0 },
            1 => [0, 255, 0],
            _ => [0, 0, 255],
        }).ToArray());
        var pixels = model.Preprocessor.Process(image);
        Assert.Equal(3 * 32 * 32, pixels.Length);
        double red = (1 - 0.48145466) / 0.26862954, blueInRed = (0 - 0.48145466) / 0.26862954;
        Assert.Equal(red, pixels[5 * 32 + 0], 1e-4);       // R plane, row 5, first column: red
        Assert.Equal(blueInRed, pixels[5 * 32 + 31], 1e-4); // last column: blue, no red
    }

    [Theory]
    [InlineData("text_encoder.encoder.layer.1.crossattention.self.key.weight")]
    [InlineData("vision_model.embeddings.position_embedding")]
    [InlineData("itm_head.bias")]
    public void AMissingTensorIsNamed(string tensor)
    {
        using var ck = TinyBlip.Write(87, skip: tensor);
        var error = Assert.Throws<SieveFormatException>(() => BlipModel.Load(ck.Directory));
        Assert.Contains(tensor, error.Message);
    }

    [Fact]
    public void ACrossAttentionWidthOtherThanTheVisionTowersIsRefused()
    {
        using var ck = TinyBlip.Write(88, editConfig: c => ((Dictionary<string, object>)c["text_config"])["encoder_hidden_size"] = 24);
        var error = Assert.Throws<SieveFormatException>(() => BlipModel.Load(ck.Directory));
        Assert.Contains("text_config.encoder_hidden_size is 24, but the vision tower is 32 wide", error.Message);
    }

    [Fact]
    public void APreprocessorSizeOtherThanTheModelsIsRefused()
    {
        using var ck = TinyBlip.Write(89);
        File.WriteAllText(Path.Combine(ck.Directory, "preprocessor_config.json"), """{"size": {"height": 384, "width": 384}}""");
        var error = Assert.Throws<SieveFormatException>(() => BlipModel.Load(ck.Directory));
        Assert.Contains("size is 384×384, but the model takes 32×32 images", error.Message);
    }

    [Fact]
    public void TheFolderIsRecognisedAsBlip()
    {
        using var ck = TinyBlip.Write(90);
        Assert.Equal(ModelFamily.Blip, ModelFolder.Detect(ck.Directory));
        Assert.IsType<BlipModel>(ModelFolder.Load(ck.Directory));
    }

    public static TheoryData<string> Identities => ["tome:r=0", "crossget:r=0", "none"];

    [Theory]
    [MemberData(nameof(Identities))]
    public void NothingReducedIsTheDenseModelBitForBit(string spec)
    {
        var shape = new TinyBlip.Shape();
        using var ck = TinyBlip.Write(91, shape);
        var model = BlipModel.Load(ck.Directory);
        var reduced = model.WithReduction(ModelReduction.Parse(spec));
        var pixels = Pixels(92, shape);
        Assert.Equal(model.Vision.Encode(pixels), reduced.Vision.Encode(pixels));
        Assert.Equal(model.Text.Encode(Caption), reduced.Text.Encode(Caption));
        Assert.Equal(model.Match(pixels, Caption), reduced.Match(pixels, Caption));
    }

    [Theory]
    [InlineData("tome:r=3")]
    [InlineData("crossget:r=3")]
    public void ReducersOnTheVisionTowerKeepTheInvariants(string spec)
    {
        var shape = new TinyBlip.Shape();
        using var ck = TinyBlip.Write(93, shape);
        var model = BlipModel.Load(ck.Directory);
        var probe = new InvariantProbe(ModelReduction.Parse(spec).Bind(model.Vision.Info)!);
        var trace = new ForwardTrace();
        model.Vision.Encode(Pixels(94, shape), BlockHook.Combine(probe, trace));
        Assert.Equal(shape.VisionLayers, probe.Steps);
        Assert.Equal([17, 14], trace.Layers.Select(l => l.AttentionTokens));
        Assert.Equal([14, 11], trace.Layers.Select(l => l.MlpTokens));
    }

    [Fact]
    public void TracedMacsOfTheDenseTowersMatchTheStaticCounts()
    {
        var shape = new TinyBlip.Shape();
        using var ck = TinyBlip.Write(95, shape);
        var model = BlipModel.Load(ck.Directory);
        var image = new ForwardTrace();
        model.Vision.Encode(Pixels(96, shape), image);
        Assert.Equal(model.Vision.Macs, image.Macs);
        var text = new ForwardTrace();
        model.Text.Encode(Caption, text);
        Assert.Equal(model.Text.MacsFor(Caption.Length), text.Macs);
    }
    [Theory]
    [InlineData("tome:r=2")]
    [InlineData("crossget:r=2")]
    public void ReducersOnTheTextEncoderKeepTheInvariantsWhileItCrossAttends(string spec)
    {
        var shape = new TinyBlip.Shape();
        using var ck = TinyBlip.Write(97, shape);
        var model = BlipModel.Load(ck.Directory);
        var (_, image) = model.Vision.EncodeWithTokens(Pixels(98, shape));
        var probe = new InvariantProbe(ModelReduction.Parse(spec).Bind(model.Text.Info)!);
        var trace = new ForwardTrace();
        var logits = model.Text.MatchLogits(Caption, image, BlockHook.Combine(probe, trace));
        Assert.Equal(shape.TextLayers, probe.Steps);
        Assert.Equal([11, 9], trace.Layers.Select(l => l.AttentionTokens)); // [CLS] and [SEP] protected: 9 candidates
        Assert.Equal([9, 7], trace.Layers.Select(l => l.MlpTokens));
        Assert.All(logits, l => Assert.True(float.IsFinite(l)));
    }

    [Fact]
    public void TracedMacsOfADenseMatchCountTheCrossAttention()
    {
        var shape = new TinyBlip.Shape();
        using var ck = TinyBlip.Write(99, shape);
        var model = BlipModel.Load(ck.Directory);
        var (_, image) = model.Vision.EncodeWithTokens(Pixels(100, shape));
        var trace = new ForwardTrace();
        model.Text.MatchLogits(Caption, image, trace);
        Assert.Equal(model.Text.MatchMacsFor(Caption.Length, shape.Tokens), trace.Macs);
        Assert.True(model.Text.MatchMacsFor(Caption.Length, shape.Tokens) > model.Text.MacsFor(Caption.Length));
    }
}
