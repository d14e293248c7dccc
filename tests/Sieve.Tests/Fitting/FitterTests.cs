using Sieve.Models;
using Sieve.Fitting;
using Sieve.Reduction;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Fitting;

/// <summary>CrossGET and MADTP fitting on tiny generated models: the loss falls by a clear margin, deterministically.</summary>
[Collection(ThreadCountCollection.Name)]
public sealed class FitterTests : IDisposable
{
    readonly TinyCheckpoint _clip = TinyModels.Clip(31, DType.F32);
    readonly TinyCheckpoint _vit = TinyModels.Vit(32, DType.F32);

    public void Dispose()
    {
        _clip.Dispose();
        _vit.Dispose();
    }

    /// <summary>
    /// Planted structure: four concepts; an image of concept k is a fixed pattern k plus a little noise, and its
    /// caption is start, the words of concept k, end-of-text (ids of the tiny vocabulary; 58 start, 59 end).
    /// </summary>
    static List<FitSample> Pairs(FitTarget target, int count)
    {
        int size = target.Vision.ImageSize, pixels = 3 * size * size;
        var patterns = Enumerable.Range(0, 4).Select(k => Rand.Uniform(new Random(100 + k), pixels)).ToArray();
        var rng = new Random(5);
        return Enumerable.Range(0, count).Select(i =>
        {
            int k = i % 4;
            var image = patterns[k].Select(v => v + 0.1f * (float)(rng.NextDouble() - 0.5)).ToArray();
            return new FitSample(image, text: [58, 3 * k + 1, 3 * k + 2, 3 * k + 3, 59]);
        }).ToList();
    }

    static readonly FitOptions Options = new(epochs: 6, learningRate: 0.05, weightDecay: 0.01, batchSize: 8, holdOut: 0.25, patience: 6, seed: 3);

    [Fact]
    public void CrossGetOnClipLowersTheJensenShannonLossDeterministically()
    {
        var target = FitTarget.Load(_clip.Directory, "tiny-clip");
        var fitter = new CrossGetFitter(target, ModelReduction.Parse("crossget:r=2"), Pairs(target, 32));
        var all = Enumerable.Range(0, fitter.Samples).ToArray();
        double before = GuidanceTrainer.MeanLoss(fitter, all, fitter.InitialParameters(), 8);
        var result = ThreadCountCollection.With(2, () => GuidanceTrainer.Fit(fitter, Options));
        double after = GuidanceTrainer.MeanLoss(fitter, all, result.Parameters, 8);
        Assert.True(after < 0.7 * before, $"JS loss {before} → {after}");
        Assert.True(result.BestLoss < result.InitialLoss);
        // Not only on the samples it trained on: the 8 held out (of 32) improve by a clear margin too.
        Assert.Equal((24, 8), (result.TrainSamples, result.HeldOutSamples));
        Assert.True(result.BestLoss < 0.7 * result.InitialLoss, $"held-out JS loss {result.InitialLoss} → {result.BestLoss}");

        // Same seed, same offsets, whatever the thread count.
        Assert.Equal(result.Parameters, ThreadCountCollection.With(1, () => GuidanceTrainer.Fit(fitter, Options)).Parameters);

        var guidance = ReductionGuidance.FromTensors(fitter.Guidance(result.Parameters));
        // The parameters are the vision tower's offsets [layers, width], then the text tower's.
        int vision = target.Vision.Info.Layers * target.Vision.Info.Width;
        Assert.Equal(result.Parameters[..vision].Select(v => (float)v), guidance.CrossTokenOffsets(target.Vision.Info)!);
        Assert.Equal(result.Parameters[vision..].Select(v => (float)v), guidance.CrossTokenOffsets(target.Text!.Info)!);
    }

    [Fact]
    public void CrossGetGradientOfTheLastOffsetsMatchesFiniteDifferencesOfTheWholeForward()
    {
        // The last block's offset moves only h_{L−1}, so the local gradient is the whole gradient there; the
        // forward runs in float32, hence a step of 1e-2 and a looser tolerance than the float64 checks.
        var target = FitTarget.Load(_vit.Directory);
        var rng = new Random(4);
        var samples = Enumerable.Range(0, 3).Select(i => new FitSample(Rand.Uniform(rng, 3 * TinyModels.VitImage * TinyModels.VitImage), i)).ToList();
        var fitter = new CrossGetFitter(target, ModelReduction.Parse("crossget:r=3"), samples);
        int[] batch = [0, 1, 2];
        var p = FiniteDifferences.Normal(rng, fitter.InitialParameters().Length, 0.2);
        var gradient = new double[p.Length];
        fitter.Loss(batch, p, gradient);
        int last = (TinyModels.VitDepth - 1) * TinyModels.VitWidth;
        var numeric = new double[TinyModels.VitWidth];
        for (int i = 0; i < numeric.Length; i++)
        {
            double keep = p[last + i];
            p[last + i] = keep + 1e-2;
            double up = fitter.Loss(batch, p, null);
            p[last + i] = keep - 1e-2;
            double down = fitter.Loss(batch, p, null);
            p[last + i] = keep;
            numeric[i] = (up - down) / 2e-2;
        }
        double error = FiniteDifferences.RelativeError(gradient.AsSpan(last), numeric);
        Assert.True(error < 2e-3, $"relative error {error}");
    }

    [Fact]
    public void CrossGetOnAClassifierLowersTheClassLoss()
    {
        var target = FitTarget.Load(_vit.Directory);
        var rng = new Random(6);
        int pixels = 3 * TinyModels.VitImage * TinyModels.VitImage;
        var patterns = Enumerable.Range(0, 3).Select(_ => Rand.Uniform(rng, pixels)).ToArray();
        var samples = Enumerable.Range(0, 24).Select(i => new FitSample(patterns[i % 3].Select(v => v + 0.1f * (float)rng.NextDouble()).ToArray(), i % 3)).ToList();
        var fitter = new CrossGetFitter(target, ModelReduction.Parse("crossget:r=3"), samples);
        var result = GuidanceTrainer.Fit(fitter, Options);
        Assert.True(result.BestLoss < 0.8 * result.InitialLoss, $"{result.InitialLoss} → {result.BestLoss}");
    }

    [Fact]
    public void MadtpOnClipLowersTheAlignmentLossAndItsGuidanceBinds()
    {
        var target = FitTarget.Load(_clip.Directory);
        var fitter = new MadtpFitter(target, Pairs(target, 24), tokens: 8, seed: 1);
        var result = ThreadCountCollection.With(2, () => GuidanceTrainer.Fit(fitter, Options));
        Assert.True(result.BestLoss < 0.7 * result.InitialLoss, $"{result.InitialLoss} → {result.BestLoss}");
        // Same seed, same parameters, for 1 and 2 threads (as the README reports for the real fit).
        Assert.Equal(result.Parameters, ThreadCountCollection.With(1, () => GuidanceTrainer.Fit(fitter, Options)).Parameters);

        var guidance = ReductionGuidance.FromTensors(fitter.Guidance(result.Parameters));
        Assert.Equal((8, TinyModels.ClipProjection), (guidance.MagTokens!.Count, guidance.MagTokens.Width));
        var reducer = ModelReduction.Parse("madtp:t=1").Bind(target.Vision.Info, guidance);
        // Parameters: the 8 alignment tokens [8, D_s], then the vision maps [layers, D_s, D], then the text maps.
        int tokens = 8 * TinyModels.ClipProjection, maps = target.Vision.Info.Layers * TinyModels.ClipProjection * target.Vision.Info.Width;
        var expected = new MadtpReducer(target.Vision.Info, 1, new MagTokens(result.Parameters[..tokens].Select(v => (float)v).ToArray(), 8, TinyModels.ClipProjection),
            result.Parameters[tokens..(tokens + maps)].Select(v => (float)v).ToArray());
        var pixels = Pairs(target, 1)[0].Pixels;
        var input = TowerInput.Image(pixels, target.Vision.ImageSize);
        Assert.Equal(target.Vision.Forward(input, expected), target.Vision.Forward(input, reducer));
    }

    [Fact]
    public void HeadsAreTheLoadedModelsNormsAndProjections()
    {
        // z = W·LN(h) + b against a float64 reference from the checkpoint's own tensors.
        static void Check(NormProjection head, TinyCheckpoint ck, string norm, double eps, string projection, bool bias)
        {
            var h = Rand.Uniform(new Random(9), head.Width).Select(v => (double)v).ToArray();
            var u = Ref64.LayerNorm(h, 1, ck[norm + ".weight"], ck[norm + ".bias"], eps);
            var want = Ref64.Linear(u, 1, ck[projection + ".weight"], bias ? ck[projection + ".bias"] : null, head.Width, head.Outputs);
            var got = head.Forward(h);
            for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-9);
        }
        var vit = FitTarget.Load(_vit.Directory);
        Check(vit.VisionHead, _vit, "norm", VitModel.Load(_vit.Directory).Config.LayerNormEps, "head", bias: true);
        var clip = FitTarget.Load(_clip.Directory);
        var config = ClipModel.Load(_clip.Directory).Config;
        Check(clip.VisionHead, _clip, "vision_model.post_layernorm", config.Vision.LayerNormEps, "visual_projection", bias: false);
        Check(clip.TextHead!, _clip, "text_model.final_layer_norm", config.Text.LayerNormEps, "text_projection", bias: false);
    }

    [Fact]
    public void WrongCombinationsAreRefusedWithTheReason()
    {
        var vit = FitTarget.Load(_vit.Directory, "tiny-vit");
        var clip = FitTarget.Load(_clip.Directory);
        var image = new FitSample(new float[3 * TinyModels.VitImage * TinyModels.VitImage], 1);
        Assert.Contains("'tiny-vit' is a classifier with no text tower", Assert.Throws<ArgumentException>(() => new MadtpFitter(vit, [image])).Message);
        Assert.Contains("needs a crossget reducer on the vision tower; 'tome:r=2' gives it tome",
            Assert.Throws<ArgumentException>(() => new CrossGetFitter(vit, ModelReduction.Parse("tome:r=2"), [image])).Message);
        Assert.Contains("needs a crossget reducer on the text tower",
            Assert.Throws<ArgumentException>(() => new CrossGetFitter(clip, ModelReduction.Parse("vision=crossget:r=2"), Pairs(clip, 2))).Message);
        Assert.Contains("class labels in 0…9", Assert.Throws<ArgumentException>(() => new CrossGetFitter(vit, ModelReduction.Parse("crossget:r=2"), [new FitSample(image.Pixels, 10)])).Message);
        Assert.Contains("image–caption pairs", Assert.Throws<ArgumentException>(() => new CrossGetFitter(clip, ModelReduction.Parse("crossget:r=2"), [image])).Message);
    }
}
