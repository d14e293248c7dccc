using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Tests.Reduction;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Models;

/// <summary>Models loaded with int8 block linear layers: close to float32, with every reducer, on any thread count.</summary>
[Collection(ThreadCountCollection.Name)]
public class Int8ModelTests
{
    static readonly Lazy<ClipModel> SmallInt8 = new(() => ClipModel.CreateRandom(ReductionModels.Small.Config, seed: 5, Precision.Int8));

    [Fact]
    public void Int8ViTLogitsStayCloseToFloat32()
    {
        // Per-channel weights and per-token activations keep each layer close to float32: over two blocks the
        // logits moved by at most 0.7% of their spread (measured); the bound leaves three times that.
        using var ck = TinyModels.Vit(91, DType.F32);
        var float32 = VitModel.Load(ck.Directory);
        var int8 = VitModel.Load(ck.Directory, Precision.Int8);
        for (int seed = 0; seed < 4; seed++)
        {
            var pixels = Rand.Uniform(new Random(seed), 3 * TinyModels.VitImage * TinyModels.VitImage);
            float[] want = float32.Logits(pixels), got = int8.Logits(pixels);
            double spread = want.Max() - want.Min(), worst = want.Zip(got, (w, g) => Math.Abs(w - g)).Max();
            Assert.True(worst <= 0.02 * spread, $"image {seed}: int8 logits differ by up to {worst}, float32 spread {spread}");
            Assert.NotEqual(want, got); // int8 arithmetic really ran
        }
    }

    [Fact]
    public void OnlyTheBlockLinearLayersAreQuantizedAndTheModelKeepsItsShape()
    {
        var float32 = ReductionModels.Small;
        var int8 = SmallInt8.Value;
        var pixels = ReductionModels.Pixels(float32, 1);
        Assert.Equal(float32.Vision.Macs, int8.Vision.Macs);
        double cosine = Ref64.Cosine(float32.Vision.Encode(pixels), int8.Vision.Encode(pixels));
        Assert.InRange(cosine, 0.9999, 1.0); // measured 1 − 1e-7
        var ids = ReductionModels.Text(float32, 20, 2);
        Assert.InRange(Ref64.Cosine(float32.Text.Encode(ids), int8.Text.Encode(ids)), 0.9999, 1.0);
    }

    [Theory]
    [MemberData(nameof(InvariantTests.Reducing), MemberType = typeof(InvariantTests))]
    public void EveryReducerRunsOnInt8WithTheSameScheduleAndThreadCountIndependence(string spec)
    {
        // A merged token is one more row for the int8 GEMM, quantized like the others: the reducer removes the
        // tokens it does in float32, the embedding stays close, and 1 and 2 threads agree bit for bit.
        var int8 = SmallInt8.Value;
        var reduction = ModelReduction.Parse(spec);
        var pixels = ReductionModels.Pixels(int8, 3);
        var reducer = reduction.Bind(int8.Vision.Info);
        var trace32 = new ForwardTrace();
        var trace8 = new ForwardTrace();
        var want = ReductionModels.Small.Vision.Encode(pixels, BlockHook.Combine(reducer, trace32));
        var one = ThreadCountCollection.With(1, () => int8.Vision.Encode(pixels, BlockHook.Combine(reducer, trace8)));
        var two = ThreadCountCollection.With(2, () => int8.Vision.Encode(pixels, reducer));
        Assert.Equal(one, two);
        Assert.True(trace8.Layers[^1].MlpTokens < trace8.Layers[0].AttentionTokens, $"{spec} reduced nothing in int8");
        if (!spec.StartsWith("madtp")) // fixed schedules; MADTP's threshold may keep a token more or less
            Assert.Equal(trace32.Layers.Select(l => l.MlpTokens), trace8.Layers.Select(l => l.MlpTokens));
        Assert.InRange(Ref64.Cosine(want, one), 0.9999, 1.0); // measured ≥ 1 − 1e-7 for every reducer
    }

    [Fact]
    public void APrecisionThatIsNoneOfTheValuesIsRefused()
    {
        using var ck = TinyModels.Vit(92, DType.F32);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => VitModel.Load(ck.Directory, (Precision)7));
        Assert.Contains("precision must be Float32 or Int8", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClipModel.CreateRandom(ReductionModels.Small.Config, precision: (Precision)(-1)));
    }

    [Fact]
    public void EvaluationMeasuresAgreementAgainstTheReference()
    {
        // With a reference, "agree" compares with the reference's dense top-1 (in eval, the float32 model's); a model
        // with other weights makes the two measures differ.
        using var ck = TinyModels.Vit(93, DType.F32);
        using var otherCk = TinyModels.Vit(94, DType.F32);
        var int8 = VitModel.Load(ck.Directory, Precision.Int8);
        var other = VitModel.Load(otherCk.Directory);
        var inputs = Enumerable.Range(0, 24).Select(i => Rand.Uniform(new Random(100 + i), 3 * TinyModels.VitImage * TinyModels.VitImage)).ToArray();
        var labels = inputs.Select(_ => 0).ToArray();
        static int Top1(float[] logits) => Enumerable.Range(0, logits.Length).OrderByDescending(k => logits[k]).ThenBy(k => k).First();
        double expected = inputs.Average(p => Top1(int8.Logits(p)) == Top1(other.Logits(p)) ? 1.0 : 0.0);
        Assert.InRange(expected, 0.0, 0.99);
        Assert.Equal(1.0, new ClassifierEvaluation(int8, inputs, labels).Evaluate([])[0].Agreement);
        var rows = new ClassifierEvaluation(int8, inputs, labels) { Reference = other }.Evaluate([ReducerSpec.Parse("tome:r=2")]);
        Assert.Equal(expected, rows[0].Agreement, 12);
        Assert.InRange(rows[1].Agreement, 0.0, 1.0);
    }
}
