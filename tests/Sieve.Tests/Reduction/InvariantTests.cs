using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;

namespace Sieve.Tests.Reduction;

/// <summary>ALGORITHMS.md's invariants, for every reducer, on whole forwards of a small random CLIP.</summary>
[Collection(Support.ThreadCountCollection.Name)]
public class InvariantTests
{
    public static TheoryData<string> Identities => ["tome:r=0", "tome:ratio=0", "crossget:r=0", "madtp:t=0", "none"];

    public static TheoryData<string> Reducing => ["tome:r=8", "tome:r=2..12", "tome:ratio=0.25", "crossget:r=8", "crossget:r=12/8/4", "madtp:t=50", "madtp:t=50,prop=off", "tome:r=8,prop=off"];

    [Theory]
    [MemberData(nameof(Identities))]
    public void NothingReducedIsTheDenseModelBitForBit(string spec)
    {
        var model = ReductionModels.Small;
        var reduction = ModelReduction.Parse(spec);
        var pixels = ReductionModels.Pixels(model, 1);
        var ids = ReductionModels.Text(model, 20, 2);
        Assert.Equal(model.Vision.Encode(pixels), model.Vision.Encode(pixels, reduction.Bind(model.Vision.Info)));
        Assert.Equal(model.Text.Encode(ids), model.Text.Encode(ids, reduction.Bind(model.Text.Info)));
    }

    [Theory]
    [MemberData(nameof(Reducing))]
    public void EveryStepKeepsSizesProtectedTokensAndSourceMapConsistent(string spec)
    {
        var model = ReductionModels.Small;
        var reduction = ModelReduction.Parse(spec);
        foreach (var (tower, run) in Towers(model))
        {
            var probe = new InvariantProbe(reduction.Bind(tower)!);
            var trace = new ForwardTrace();
            run(probe, trace);
            Assert.Equal(tower.Layers, probe.Steps);
            Assert.True(probe.Reduced > 0, $"{spec} never reduced the {tower.Name} tower");
            Assert.True(trace.Layers[^1].MlpTokens < trace.Layers[0].AttentionTokens);
        }
    }

    [Theory]
    [InlineData("tome:r=8")]
    [InlineData("crossget:r=8")]
    public void MergeStepsRemoveExactlyRTokens(string spec)
    {
        var model = ReductionModels.Small;
        var trace = new ForwardTrace();
        model.Vision.Encode(ReductionModels.Pixels(model, 3), BlockHook.Combine(ModelReduction.Parse(spec).Bind(model.Vision.Info), trace));
        Assert.Equal([57, 49, 41], trace.Layers.Select(l => l.MlpTokens));
        Assert.Equal([65, 57, 49], trace.Layers.Select(l => l.AttentionTokens));
    }

    [Fact]
    public void SizeWeightedMergesConserveTheSizeWeightedSum()
    {
        var rng = new Random(4);
        int n = 30, d = 8;
        using var tokens = new TokenSet(Modality.Image, n, d, n);
        Support.Rand.Normal(rng, n * d).CopyTo(tokens.Features);
        tokens.Protect(0);
        for (int step = 0; step < 3; step++)
        {
            var before = WeightedSum(tokens);
            var metric = Support.Rand.Normal(rng, tokens.Count * 4);
            for (int i = 0; i < tokens.Count; i++) KeyMetric.Normalize(metric.AsSpan(i * 4, 4));
            // ToMe's rule, then CrossGET's with equal importances (e^c s_i): the same convex weights.
            var target = step % 2 == 0
                ? BipartiteMatcher.Match(metric, 4, tokens.ModalitySlices(), tokens.Protected, 5).Target
                : CompleteGraphMatcher.Match(metric, 4, tokens.MergeGroups(), Enumerable.Repeat(0.3f, tokens.Count).ToArray(), 5);
            int sources = target.Where((t, i) => t != i).Count();
            var destinations = target.Where((t, i) => t != i).ToHashSet();
            Assert.Equal(5, sources);
            Assert.DoesNotContain(destinations, j => target[j] != j); // sources ∩ destinations = ∅
            var weights = tokens.Sizes.ToArray().Select(s => step % 2 == 0 ? s : s * MathF.Exp(0.3f)).ToArray();
            int count = tokens.Count;
            tokens.Apply(MergePlan.FromTargets(target, weights));
            Assert.Equal(count - 5, tokens.Count);
            var after = WeightedSum(tokens);
            for (int k = 0; k < d; k++) Assert.Equal(before[k], after[k], 4);
        }
    }

    [Fact]
    public void ProportionalAttentionWithUnitSizesIsPlainAttention()
    {
        var rng = new Random(6);
        int n = 11, d = 16;
        var attention = new Attention(new Linear(Support.Rand.Normal(rng, 3 * d * d, 0.3f), null, d, 3 * d),
            new Linear(Support.Rand.Normal(rng, d * d, 0.3f), null, d, d), 4);
        var x = Support.Rand.Normal(rng, n * d);
        var plain = new float[n * d];
        var proportional = new float[n * d];
        attention.Forward(x, n, plain, causal: false);
        attention.Forward(x, n, proportional, causal: false, keyBias: new float[n]); // log(1) = 0
        Assert.Equal(plain, proportional);
    }

    [Theory]
    [InlineData("tome:r=8")]
    [InlineData("crossget:r=8")]
    [InlineData("madtp:t=50")]
    public void ResultsDoNotDependOnThreadCountOrBatchComposition(string spec)
    {
        var model = ReductionModels.Small;
        var reducer = ModelReduction.Parse(spec).Bind(model.Vision.Info);
        var images = Enumerable.Range(10, 3).Select(s => ReductionModels.Pixels(model, s)).ToArray();
        var single = Support.ThreadCountCollection.With(1, () => images.Select(p => model.Vision.Encode(p, reducer)).ToArray());
        var (latency, batch, alone) = Support.ThreadCountCollection.With(2, () =>
        {
            var latency = images.Select(p => model.Vision.Encode(p, reducer)).ToArray();
            var batch = new float[images.Length][];
            Threading.ForEachSample(images.Length, i => batch[i] = model.Vision.Encode(images[i], reducer));
            return (latency, batch, model.Vision.Encode(images[1], reducer));
        });
        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(single[i], latency[i]);
            Assert.Equal(single[i], batch[i]);
        }
        Assert.Equal(single[1], alone);
    }

    [Fact]
    public void TracedMacsOfTheDenseModelMatchTheStaticCount()
    {
        var model = ReductionModels.Small;
        var trace = new ForwardTrace();
        model.Vision.Encode(ReductionModels.Pixels(model, 1), trace);
        Assert.Equal(model.Vision.Macs, trace.Macs);
    }

    [Fact]
    public void AReducerForAnotherTowerIsRefused()
    {
        var model = ReductionModels.Small;
        var textReducer = ModelReduction.Parse("tome:r=2").Bind(model.Text.Info);
        var e = Assert.Throws<ArgumentException>(() => model.Vision.Encode(ReductionModels.Pixels(model, 1), textReducer));
        Assert.Contains("text tower", e.Message);
    }

    static float[] WeightedSum(TokenSet tokens)
    {
        var sum = new float[tokens.Width];
        for (int i = 0; i < tokens.Count; i++)
            for (int k = 0; k < tokens.Width; k++) sum[k] += tokens.Sizes[i] * tokens.Row(i)[k];
        return sum;
    }

    static IEnumerable<(TowerInfo, Action<TokenReducer, ForwardTrace>)> Towers(ClipModel model)
    {
        yield return (model.Vision.Info, (r, t) => model.Vision.Encode(ReductionModels.Pixels(model, 7), BlockHook.Combine(r, t)));
        yield return (model.Text.Info, (r, t) => model.Text.Encode(ReductionModels.Text(model, 24, 8), BlockHook.Combine(r, t)));
    }
}
