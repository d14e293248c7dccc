using Sieve.Nn;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Models;

/// <summary>Whole ViLT forwards (pooled output, VQA logits, matching score) against the float64 reference.</summary>
[Collection(ThreadCountCollection.Name)]
public class ViltModelTests
{
    // Float32 compute vs float64, 2 layers: relative errors of a few 1e-6; F16/BF16 storage is rounded
    // identically on both sides, so the same tolerance holds.
    const double Tolerance = 2e-5;

    static void AssertClose(ReadOnlySpan<float> got, double[] want) => Float64Parity.AssertClose(got, want, Tolerance);

    static int[] Ids(params string[] tokens) => tokens.Select(TinyVilt.Id).ToArray();

    static readonly int[] Question = Ids("[CLS]", "what", "is", "the", "color", "of", "the", "cat", "?", "[SEP]");

    /// <summary>Sieve's pooled output, VQA logits and score for one input, each against the reference.</summary>
    static void AssertParity(TinyCheckpoint ck, TinyVilt.Shape shape, ViltInput input)
    {
        var model = ViltModel.Load(ck.Directory);
        var mask = input.AttentionMask ?? Enumerable.Repeat(1, input.Ids.Length).ToArray();
        var pooled = ViltReference.Pooled(n => ck[n], shape, input.Ids, mask, Ref64.ToDouble(input.Pixels), input.Height, input.Width);
        AssertClose(model.Pooled(input), pooled);
        AssertClose(model.AnswerLogits(input), ViltReference.VqaLogits(n => ck[n], shape, pooled));
        AssertClose([model.MatchScore(input)], [ViltReference.MatchScore(n => ck[n], shape, pooled)]);
    }

    static ViltInput Input(int seed, int height, int width, int[]? ids = null, int[]? mask = null) =>
        new(ids ?? Question, Rand.Uniform(new Random(seed), 3 * height * width), height, width, mask);

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void SquareImageMatchesFloat64Reference(DType dtype)
    {
        var shape = new TinyVilt.Shape();
        using var ck = TinyVilt.Write(71, shape, dtype);
        AssertParity(ck, shape, Input(72, shape.ImageSize, shape.ImageSize));
    }

    [Theory]
    [InlineData(24, 48)] // 3 × 6 patches from the 4 × 4 grid: rows shrink, columns stretch
    [InlineData(56, 16)] // 7 × 2
    [InlineData(27, 50)] // 3 × 6, with pixels past the last whole patch (ignored, as the conv does)
    [InlineData(8, 40)]  // 1 × 5: a one-patch-high grid samples the grid's first row
    public void NonSquareImagesInterpolateThePositionGrid(int height, int width)
    {
        var shape = new TinyVilt.Shape();
        using var ck = TinyVilt.Write(73, shape);
        AssertParity(ck, shape, Input(74 + height, height, width));
    }

    [Fact]
    public void PaddingIsLeftOutAndEqualsHuggingFaceMaskedAttention()
    {
        var shape = new TinyVilt.Shape();
        using var ck = TinyVilt.Write(75, shape);
        int pad = TinyVilt.Id("[PAD]");
        int[] ids = [.. Ids("[CLS]", "what", "is", "the", "cat", "?", "[SEP]"), pad, pad, pad];
        int[] mask = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0];
        var padded = Input(76, 32, 40, ids, mask);
        AssertParity(ck, shape, padded);

        // Trailing padding changes nothing: the same as the unpadded ids, bit for bit.
        var model = ViltModel.Load(ck.Directory);
        var plain = new ViltInput(ids[..7], padded.Pixels, 32, 40);
        Assert.Equal(model.Pooled(plain), model.Pooled(padded));

        // A hole in the middle: kept tokens keep their original positions, as under Hugging Face's mask.
        AssertParity(ck, shape, Input(77, 32, 32, ids, [1, 1, 0, 1, 1, 0, 1, 1, 0, 1]));
    }

    [Fact]
    public void BareViltModelLayoutLoadsWithoutHeads()
    {
        var shape = new TinyVilt.Shape(Answers: 0, Match: false, Prefix: false);
        using var ck = TinyVilt.Write(78, shape);
        var model = ViltModel.Load(ck.Directory);
        Assert.False(model.HasVqaHead);
        Assert.False(model.HasMatchHead);
        var input = Input(79, 32, 32);
        AssertClose(model.Pooled(input), ViltReference.Pooled(n => ck[n], shape, Question, [.. Enumerable.Repeat(1, Question.Length)], Ref64.ToDouble(input.Pixels), 32, 32));
        Assert.Contains("no VQA head (classifier.*", Assert.Throws<SieveFormatException>(() => model.Answer(input)).Message);
        Assert.Contains("no image–text matching head (rank_output", Assert.Throws<SieveFormatException>(() => model.MatchScore(input)).Message);
    }

    [Fact]
    public void AnswersAreRankedSigmoidProbabilitiesWithNames()
    {
        var shape = new TinyVilt.Shape(Match: false);
        using var ck = TinyVilt.Write(80, shape);
        var model = ViltModel.Load(ck.Directory);
        var input = Input(81, 32, 32);
        var logits = model.AnswerLogits(input);
        var top = model.Answer(input, 3);
        var best = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ToArray();
        Assert.Equal(best[..3], top.Select(p => p.Index));
        Assert.Equal($"answer {best[0]}", top[0].Label);
        Assert.Equal(1 / (1 + Math.Exp(-logits[best[0]])), top[0].Probability, 6);
        Assert.Contains("no image–text matching head", Assert.Throws<SieveFormatException>(() => model.MatchScore(input)).Message);
    }

    [Fact]
    public void TraceCountsTheDenseMacsAndTokensPerLayer()
    {
        var shape = new TinyVilt.Shape();
        using var ck = TinyVilt.Write(82, shape);
        var model = ViltModel.Load(ck.Directory);
        var trace = new ForwardTrace();
        model.AnswerLogits(Input(83, 24, 48), trace);
        Assert.Equal(model.AnswerMacs(Question.Length, 3, 6), trace.Macs);
        Assert.All(trace.Layers, l => Assert.Equal(Question.Length + 1 + 18, l.AttentionTokens));
        var match = new ForwardTrace();
        model.MatchScore(Input(83, 24, 48), match);
        Assert.Equal(model.MatchMacs(Question.Length, 3, 6), match.Macs);
        Assert.Equal(model.PooledMacs(Question.Length, 3, 6) + shape.Width, match.Macs);
    }

    [Fact]
    public void ReducerBoundToTheFusionTowerMergesWithinEachModality()
    {
        var shape = new TinyVilt.Shape();
        using var ck = TinyVilt.Write(84, shape);
        var model = ViltModel.Load(ck.Directory);
        Assert.Equal(new TowerInfo("fusion", Modality.Multimodal, shape.Layers, shape.Width, shape.Heads), model.Info);
        var reducer = ModelReduction.Parse("tome:r=2").Bind(model.Info)!;
        var trace = new ForwardTrace();
        var input = Input(85, 32, 32);
        model.Answer(input, hook: BlockHook.Combine(reducer, trace));
        Assert.Equal([27, 25], trace.Layers.Select(l => l.AttentionTokens));
        Assert.Equal([25, 23], trace.Layers.Select(l => l.MlpTokens));
        Assert.True(trace.Macs < model.AnswerMacs(Question.Length, 4, 4));
        Assert.Equal(model.Pooled(input), model.Pooled(input, ModelReduction.Parse("tome:r=0").Bind(model.Info)));

        var vision = ModelReduction.Parse("tome:r=2").Bind(new TowerInfo("vision", Modality.Image, 2, shape.Width, shape.Heads));
        Assert.Throws<ArgumentException>(() => model.Pooled(input, vision));
    }

    [Fact]
    public void ForwardIsIdenticalWhateverTheThreadCount()
    {
        using var ck = TinyVilt.Write(86);
        var model = ViltModel.Load(ck.Directory);
        var input = Input(87, 24, 40);
        var one = ThreadCountCollection.With(1, () => model.AnswerLogits(input));
        Assert.Equal(one, ThreadCountCollection.With(3, () => model.AnswerLogits(input)));
    }

    [Fact]
    public void RandomB32HasViltB32Shape()
    {
        var small = new ViltConfig(16, 1, 2, 32, 1e-12f, 64, 32, 8, 50);
        var model = ViltModel.CreateRandom(small, seed: 3, answers: 5);
        Assert.Equal(5, model.Answers.Count);
        var input = new ViltInput([2, 7, 3], new float[3 * 64 * 96], 64, 96);
        Assert.Equal(5, model.AnswerLogits(input).Length);
        Assert.True(float.IsFinite(model.MatchScore(input)));
        Assert.Throws<SieveFormatException>(() => model.Tokenizer);

        var b32 = ViltConfig.B32;
        Assert.Equal((768, 12, 12, 3072, 32, 384, 40, 30522), (b32.Width, b32.Layers, b32.Heads, b32.MlpHidden, b32.PatchSize, b32.ImageSize, b32.MaxPositions, b32.VocabSize));
        Assert.Equal(3129, ViltConfig.VqaV2Answers);
    }
}
