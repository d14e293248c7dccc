using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tests.Support;

namespace Sieve.Tests.Reduction;

/// <summary>
/// Visual-token reduction in LLaVA: ToMe / CrossGET in the vision tower, VisionZip before the projector, FastV inside
/// the decoder — keeping every token is bit-identical to dense, token counts and key/value cache sizes follow the spec.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class LlavaReductionTests
{
    static readonly TinyLlava.Shape Shape = new(TextLayers: 3);

    static float[] Pixels(int seed) => Rand.Uniform(new Random(seed), 3 * Shape.ImageSize * Shape.ImageSize);

    static int Patches => Shape.Grid * Shape.Grid;

    /// <summary>The prompt's logits after a prefill, and the session's cache bytes.</summary>
    static (float[] Logits, long CacheBytes, int Visual) Prefill(LlavaModel model, float[] pixels)
    {
        var image = model.ImageFeatures(pixels);
        var (session, logits) = model.Prefill(model.PromptIds("cat?", image.Count), image);
        return (logits, session.CacheBytes, image.Count);
    }

    long BytesPerToken => 2L * Shape.KvHeads * Shape.HeadDim * sizeof(float);

    [Theory]
    [InlineData("tome:r=0")]
    [InlineData("crossget:r=0")]
    public void ATowerReducerThatMergesNothingIsBitIdenticalToDense(string spec)
    {
        using var ck = TinyLlava.Write(200, Shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(201);
        var dense = Prefill(model, pixels);
        var reduced = Prefill(model.WithReduction(ModelReduction.Parse(spec)), pixels);
        Assert.Equal(dense.Logits, reduced.Logits);
        Assert.Equal(dense.CacheBytes, reduced.CacheBytes);
    }

    [Theory]
    [InlineData("tome:r=3", 16 - 2 * 3)]
    [InlineData("crossget:r=2", 16 - 2 * 2)]
    public void ATowerReducerLeavesTheSpecsTokenCountAndTheCacheShrinksInProportion(string spec, int visual)
    {
        using var ck = TinyLlava.Write(202, Shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(203);
        var dense = Prefill(model, pixels);
        var reduced = Prefill(model.WithReduction(ModelReduction.Parse(spec)), pixels);
        Assert.Equal(Patches, dense.Visual);
        Assert.Equal(visual, reduced.Visual);
        Assert.Equal((Patches - visual) * BytesPerToken * Shape.TextLayers, dense.CacheBytes - reduced.CacheBytes);
        // Merged tokens carry their sizes to the decoder: they add up to the patches.
        var features = model.WithReduction(ModelReduction.Parse(spec)).ImageFeatures(pixels);
        Assert.Equal(Patches, features.LogSizes!.Sum(l => Math.Exp(l)), 1e-3);
    }

    [Fact]
    public void VisionZipKeepingEveryTokenIsBitIdenticalAndOtherwiseKeepsTheMostAttendedTokensAndMergesTheRest()
    {
        using var ck = TinyLlava.Write(204, Shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(205);
        Assert.Equal(Prefill(model, pixels).Logits, Prefill(model.WithTokenSelection(new VisionZipSpec(Patches, 3), null), pixels).Logits);

        var dense = model.ImageFeatures(pixels);
        var zipped = model.WithTokenSelection(new VisionZipSpec(5, 3), null).ImageFeatures(pixels);
        Assert.Equal(8, zipped.Count);
        Assert.Equal(8, new VisionZipSpec(5, 3).TokensFrom(Patches));
        // Contextual tokens stand for every token the dominant ones left.
        Assert.All(zipped.LogSizes![..5], l => Assert.Equal(0f, l));
        Assert.Equal(Patches - 5, zipped.LogSizes[5..].Sum(l => Math.Exp(l)), 1e-3);

        // The dominant tokens are, in image order, the 5 patches the class token attends to most (ranked here over the probe's capture of the dense tower).
        var probe = new VisionZipProbe(Shape.VisionLayers + Shape.FeatureLayer);
        var vision = model.Vision.Features(pixels, probe);
        var top = Enumerable.Range(0, Patches).OrderByDescending(p => (double)probe.ClassAttention[p]).Take(5).Order().ToArray();
        Assert.Equal(Patches, vision.Count);
        var projectedDense = dense.Features;
        for (int i = 0; i < 5; i++)
            Assert.Equal(projectedDense.AsSpan(top[i] * zipped.Width, zipped.Width).ToArray(), zipped.Features.AsSpan(i * zipped.Width, zipped.Width).ToArray());
    }

    [Fact]
    public void FastVKeepingEveryTokenOrDroppingAfterTheLastLayerIsBitIdenticalAndOtherwiseShrinksLaterLayersCaches()
    {
        using var ck = TinyLlava.Write(206, Shape);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = Pixels(207);
        var dense = Prefill(model, pixels);
        Assert.Equal(dense.Logits, Prefill(model.WithTokenSelection(null, new FastVSpec(0, Patches)), pixels).Logits);
        var afterLast = Prefill(model.WithTokenSelection(null, new FastVSpec(Shape.TextLayers - 1, 4)), pixels);
        Assert.Equal(dense.Logits, afterLast.Logits);
        Assert.Equal(dense.CacheBytes, afterLast.CacheBytes);

        // Dropping after layer 0 keeps 4 visual tokens in layers 1 and 2: their caches hold 12 tokens fewer each.
        var pruned = Prefill(model.WithTokenSelection(null, new FastVSpec(0, 4)), pixels);
        Assert.Equal(2 * (Patches - 4) * BytesPerToken, dense.CacheBytes - pruned.CacheBytes);
        Assert.NotEqual(dense.Logits, pruned.Logits);
    }

    [Fact]
    public void VisualTokenSelectionSpecsParseAndBadOnesAreNamed()
    {
        Assert.True(VisualTokenSelection.TryParse("visionzip:dominant=54,contextual=10", out var zip, out var fastV));
        Assert.Equal(new VisionZipSpec(54, 10), zip);
        Assert.Null(fastV);
        Assert.True(VisualTokenSelection.TryParse("fastv:layer=2,keep=144", out zip, out fastV));
        Assert.Equal(new FastVSpec(2, 144), fastV);
        Assert.False(VisualTokenSelection.TryParse("tome:r=8", out _, out _));
        Assert.Contains("fastv has no parameter 'r'", Assert.Throws<ArgumentException>(() => VisualTokenSelection.TryParse("fastv:r=2", out _, out _)).Message);
        using var ck = TinyLlava.Write(208, Shape);
        var model = LlavaModel.Load(ck.Directory);
        Assert.Contains("layer must lie in 0…2", Assert.Throws<ArgumentException>(() => model.WithTokenSelection(null, new FastVSpec(3, 4))).Message);
        Assert.Contains("does not combine", Assert.Throws<ArgumentException>(() => model.WithReduction(ModelReduction.Parse("tome:r=2")).WithTokenSelection(new VisionZipSpec(4, 2), null)).Message);
    }
}
