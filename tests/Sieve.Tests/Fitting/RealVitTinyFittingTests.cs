using Sieve.Models;
using Sieve.Data;
using Sieve.Eval;
using Sieve.Fitting;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Tests.Support;
using Xunit.Abstractions;

namespace Sieve.Tests.Fitting;

/// <summary>
/// Fitting the cross token of the real ViT-Tiny/16, kept short for the suite: one epoch on the first 16 dev
/// images (one class each). The full-size measurement — all 500 images, several epochs, r = 13 and 16 — is
/// the README's, made with <c>sieve fit-guidance</c> and <c>sieve eval</c>.
/// </summary>
public class RealVitTinyFittingTests(ITestOutputHelper output)
{
    [SharedDataFact]
    public void OneEpochLowersTheClassLossAndTheGuidanceRuns_SharedData()
    {
        var target = FitTarget.Load(SharedData.Path("models", "vit-tiny-patch16-224"));
        var vit = VitModel.Load(SharedData.Path("models", "vit-tiny-patch16-224"));
        var data = ImageFolderDataset.Load(SharedData.Path("data", "imagenet-sample-dev"));
        const int n = 16;
        var inputs = new float[n][];
        Threading.ForEachSample(n, i => inputs[i] = vit.Preprocess(ImageDecoder.Decode(data.Files[i])));
        var samples = Enumerable.Range(0, n).Select(i => new FitSample(inputs[i], data.Labels[i])).ToList();

        var spec = ModelReduction.Parse("crossget:r=16");
        var fitter = new CrossGetFitter(target, spec, samples);
        var result = GuidanceTrainer.Fit(fitter, new FitOptions(epochs: 1, learningRate: 0.003, batchSize: 8, holdOut: 0));
        var all = Enumerable.Range(0, n).ToArray();
        double before = GuidanceTrainer.MeanLoss(fitter, all, fitter.InitialParameters(), 8), after = GuidanceTrainer.MeanLoss(fitter, all, result.Parameters, 8);
        Assert.True(after < before, $"class loss {before:F4} → {after:F4}");

        var evaluation = new ClassifierEvaluation(vit, inputs, data.Labels.Take(n).ToArray());
        var guidance = ReductionGuidance.FromTensors(fitter.Guidance(result.Parameters));
        var untrained = evaluation.Evaluate([spec.Vision])[1];
        var fitted = evaluation.Evaluate([spec.Vision], guidance)[1];
        output.WriteLine($"class loss {before:F4} → {after:F4}; r=16 on {n} images: untrained top-1 {untrained.Top1:P1} agreement {untrained.Agreement:P1}, fitted top-1 {fitted.Top1:P1} agreement {fitted.Agreement:P1}");
        // One epoch on 16 images moves the offsets only a little: the reduced model must still work.
        Assert.True(fitted.Agreement >= 0.7, $"fitted guidance agrees with dense on only {fitted.Agreement:P1}");
    }
}
