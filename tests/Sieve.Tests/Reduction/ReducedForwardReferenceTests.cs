using Sieve.Nn;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Reduction;

/// <summary>
/// Whole reduced forwards of tiny generated checkpoints against the float64 reference reducers
/// (tests/Sieve.Tests/Reference, written from ALGORITHMS.md without library code): the same source map
/// after every block (so the same tokens chosen, merged where, and in the same order) and outputs within
/// <see cref="Tolerance"/>. Inputs are the first seeded ones whose every decision in the reference clears
/// <see cref="MinMargin"/>, far beyond what float32 rounding moves a score, so no choice sits on a tie.
/// </summary>
public class ReducedForwardReferenceTests
{
    /// <summary>Smallest gap between a chosen and the next candidate's score (cosine, σ, importance vs θ, attention received).</summary>
    const double MinMargin = 2e-4;

    /// <summary>max |library − reference| / max |reference| of the outputs.</summary>
    const double Tolerance = 1e-4;

    [Theory]
    [InlineData("tome")]
    [InlineData("crossget")]
    [InlineData("madtp")]
    public void VitReducedForwardMatchesTheReference(string method)
    {
        using var ck = TinyModels.Vit(31, DType.F32);
        var model = VitModel.Load(ck.Directory);
        const int d = TinyModels.VitWidth;
        var mag = Rand.Normal(new Random(5), 8 * d, 1 / MathF.Sqrt(d));
        (TokenReducer, Func<IReducer64>) reducers = method switch
        {
            "tome" => (new ToMeReducer(model.Info, MergeSchedule.Constant(4)), () => new ToMe64(4)),
            "crossget" => (new CrossGetReducer(model.Info, MergeSchedule.Constant(4)), () => new CrossGet64(4)),
            _ => (new MadtpReducer(model.Info, 100, new MagTokens(mag, 8, d)), () => new Madtp64(100, Ref64.ToDouble(mag), 8)),
        };
        var (pixels, (logits, sources)) = ClearInput(Pixels(TinyModels.VitImage), (x, margins) =>
            VitReference.ReducedLogits(n => ck[n], Ref64.ToDouble(x), TinyModels.VitImage, TinyModels.VitPatch, d, TinyModels.VitDepth, TinyModels.VitHeads,
                TinyModels.VitHidden, TinyModels.VitClasses, reducers.Item2(), margins));

        var trace = new ForwardTrace { KeepSourceMaps = true };
        var actual = model.Logits(pixels, BlockHook.Combine(reducers.Item1, trace));
        AssertSameForward(sources, trace, logits, actual);
    }

    [Theory]
    [InlineData("tome", false)]
    [InlineData("crossget", false)]
    [InlineData("crossget", true)]
    [InlineData("madtp", false)]
    public void ClipReducedTowersMatchTheReference(string method, bool guidanceFile)
    {
        using var ck = TinyModels.Clip(41, DType.F32);
        using var folder = new TempFolder("sieve-guidance-");
        var model = ClipModel.Load(ck.Directory);
        var rng = new Random(8);
        var offsets = new Dictionary<string, float[]>
        {
            ["vision"] = Rand.Normal(rng, TinyModels.ClipLayers * TinyModels.ClipVisionWidth, 0.5f),
            ["text"] = Rand.Normal(rng, TinyModels.ClipLayers * TinyModels.ClipTextWidth, 0.5f),
        };
        ReductionGuidance? guidance = null;
        if (guidanceFile)
        {
            var writer = new SafetensorsWriter();
            writer.Add(GuidanceTensors.CrossTokenOffsets("vision"), [TinyModels.ClipLayers, TinyModels.ClipVisionWidth], offsets["vision"], DType.F32);
            writer.Add(GuidanceTensors.CrossTokenOffsets("text"), [TinyModels.ClipLayers, TinyModels.ClipTextWidth], offsets["text"], DType.F32);
            string path = Path.Combine(folder.Path, "guidance.safetensors");
            writer.Save(path);
            guidance = ReductionGuidance.Load(path, ck.Directory);
        }
        (TokenReducer, IReducer64) For(TowerInfo tower, int r)
        {
            var mag = Rand.Normal(new Random(5), 8 * tower.Width, 1 / MathF.Sqrt(tower.Width));
            return method switch
            {
                "tome" => (new ToMeReducer(tower, MergeSchedule.Constant(r)), new ToMe64(r, tower.Causal)),
                "crossget" => (ModelReduction.Parse($"crossget:r={r}").Bind(tower, guidance)!, new CrossGet64(r, guidanceFile ? Ref64.ToDouble(offsets[tower.Name]) : null)),
                _ => (new MadtpReducer(tower, 100, new MagTokens(mag, 8, tower.Width)), new Madtp64(100, Ref64.ToDouble(mag), 8)),
            };
        }
        if (guidanceFile) Assert.True(((CrossGetReducer)For(model.Vision.Info, 1).Item1).HasCrossToken);

        var (pixels, (image, imageSources)) = ClearInput(Pixels(TinyModels.ClipImage), (x, margins) =>
            ClipReference.ReducedImage(n => ck[n], Ref64.ToDouble(x), TinyModels.ClipImage, TinyModels.ClipPatch, TinyModels.ClipVisionWidth, TinyModels.ClipLayers,
                TinyModels.ClipVisionHeads, TinyModels.ClipVisionHidden, TinyModels.ClipProjection, quickGelu: true, For(model.Vision.Info, 4).Item2, margins));
        var trace = new ForwardTrace { KeepSourceMaps = true };
        AssertSameForward(imageSources, trace, image, model.Vision.Encode(pixels, BlockHook.Combine(For(model.Vision.Info, 4).Item1, trace)));

        int eos = TinyModels.ClipVocab - 1; // legacy eos_token_id 2 → the highest id
        Func<Random, int[]> ids = r => [0, .. Enumerable.Range(0, 12).Select(_ => r.Next(1, eos)), eos];
        var (tokens, (text, textSources)) = ClearInput(ids, (x, margins) =>
            ClipReference.ReducedText(n => ck[n], x, eos, TinyModels.ClipTextWidth, TinyModels.ClipLayers, TinyModels.ClipTextHeads,
                TinyModels.ClipTextHidden, TinyModels.ClipProjection, quickGelu: true, For(model.Text.Info, 3).Item2, margins));
        trace = new ForwardTrace { KeepSourceMaps = true };
        AssertSameForward(textSources, trace, text, model.Text.Encode(tokens, BlockHook.Combine(For(model.Text.Info, 3).Item1, trace)));
    }

    [Theory]
    [InlineData("pumer")]
    [InlineData("tome")]
    [InlineData("crossget")]
    [InlineData("madtp")]
    public void ViltReducedStreamMatchesTheReference(string method)
    {
        var shape = new TinyVilt.Shape();
        using var ck = TinyVilt.Write(51, shape);
        var model = ViltModel.Load(ck.Directory);
        var mag = Rand.Normal(new Random(5), 8 * shape.Width, 1 / MathF.Sqrt(shape.Width));
        (TokenReducer, Func<IReducer64>) reducers = method switch
        {
            "pumer" => (new PumerReducer(model.Info, new PumerOptions([0, 1], 0.2, 0.3, 0.2)), () => new Pumer64([0, 1], 0.2, 0.3, 0.2)),
            "tome" => (new ToMeReducer(model.Info, MergeSchedule.Constant(4)), () => new ToMe64(4)),
            "crossget" => (new CrossGetReducer(model.Info, MergeSchedule.Constant(4)), () => new CrossGet64(4)),
            _ => (new MadtpReducer(model.Info, 100, new MagTokens(mag, 8, shape.Width)), () => new Madtp64(100, Ref64.ToDouble(mag), 8)),
        };
        int[] ids = [.. new[] { "[CLS]", "what", "is", "the", "color", "of", "the", "cat", "?", "[SEP]" }.Select(TinyVilt.Id)];
        var (pixels, (pooled, sources)) = ClearInput(Pixels(shape.ImageSize), (x, margins) =>
            ViltReference.ReducedPooled(n => ck[n], shape, ids, Ref64.ToDouble(x), shape.ImageSize, shape.ImageSize, reducers.Item2(), margins));
        var trace = new ForwardTrace { KeepSourceMaps = true };
        AssertSameForward(sources, trace, pooled, model.Pooled(new ViltInput(ids, pixels, shape.ImageSize, shape.ImageSize), BlockHook.Combine(reducers.Item1, trace)));
    }

    static Func<Random, float[]> Pixels(int size) => rng => Rand.Uniform(rng, 3 * size * size);

    /// <summary>The first of 100 seeded inputs whose reference decisions all clear <see cref="MinMargin"/>.</summary>
    static (TIn Input, T Reference) ClearInput<TIn, T>(Func<Random, TIn> make, Func<TIn, Margins, T> reference)
    {
        var seen = new List<double>();
        for (int seed = 0; seed < 100; seed++)
        {
            var input = make(new Random(seed));
            var margins = new Margins();
            var result = reference(input, margins);
            Assert.True(margins.Decisions > 0, "the reference made no choice: the fixture reduces nothing");
            if (margins.Min >= MinMargin) return (input, result);
            seen.Add(margins.Min);
        }
        throw new Xunit.Sdk.XunitException($"no seed clears a margin of {MinMargin}; smallest margins seen: {string.Join(", ", seen.Take(10))}");
    }

    static void AssertSameForward(List<int[]> sources, ForwardTrace trace, double[] expected, float[] actual)
    {
        Assert.Equal(sources.Count, trace.Layers.Count);
        for (int l = 0; l < sources.Count; l++) Assert.Equal(sources[l], trace.Layers[l].Source!);
        Assert.True(sources[^1].Distinct().Count() < sources[^1].Length || sources[^1].Contains(-1), "nothing was reduced");
        double scale = expected.Max(Math.Abs), error = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(error <= Tolerance * scale, $"outputs differ by {error / scale:G3} of their scale (tolerance {Tolerance})");
    }
}
