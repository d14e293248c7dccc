using Sieve.Fitting;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Fitting;

/// <summary>A fitted guidance file names its model; another model refuses it, the same weights anywhere accept it.</summary>
public class GuidanceIdentityTests
{
    [Fact]
    public void FittedGuidanceCarriesItsModelAndHyperParametersAndIsRefusedByAnotherModel()
    {
        using var mine = TinyModels.Vit(41, DType.F32);
        using var other = TinyModels.Vit(42, DType.F32);
        using var folder = new TempFolder();
        var target = FitTarget.Load(mine.Directory, "tiny-a");
        var fitter = new CrossGetFitter(target, ModelReduction.Parse("crossget:r=2"), [new FitSample(new float[3 * TinyModels.VitImage * TinyModels.VitImage], 2)]);
        string path = folder.File("guide.safetensors");
        var options = new FitOptions(epochs: 2, learningRate: 0.02, seed: 4);
        GuidanceFile.Save(path, fitter, fitter.InitialParameters(), target, GuidanceFile.Describe(options));

        var loaded = ReductionGuidance.Load(path, mine.Directory);
        Assert.Equal("tiny-a", loaded.Metadata[ReductionGuidance.ModelKey]);
        Assert.Equal(target.Fingerprint, loaded.Metadata[ReductionGuidance.FingerprintKey]);
        Assert.Equal(("crossget", "0.02", "4"), (loaded.Metadata["method"], loaded.Metadata["lr"], loaded.Metadata["seed"]));
        Assert.Equal(new float[TinyModels.VitDepth * TinyModels.VitWidth], loaded.CrossTokenOffsets(target.Vision.Info));

        var e = Assert.Throws<SieveFormatException>(() => ReductionGuidance.Load(path, other.Directory));
        Assert.Contains(path, e.Message);
        Assert.Contains("fitted for model 'tiny-a'", e.Message);
        Assert.Contains($"not for the model given, {other.Directory}", e.Message);

        // A hand-made file has no fingerprint and loads next to any model.
        string hand = folder.File("hand.safetensors");
        new SafetensorsWriter().Add(GuidanceTensors.CrossTokenOffsets(target.Vision.Info.Name), [TinyModels.VitDepth, TinyModels.VitWidth], new float[TinyModels.VitDepth * TinyModels.VitWidth]).Save(hand);
        Assert.NotNull(ReductionGuidance.Load(hand, other.Directory).CrossTokenOffsets(target.Vision.Info));
    }

    [Fact]
    public void TheFingerprintFollowsTheWeightsNotTheFolderOrTheSharding()
    {
        using var a = TinyModels.Vit(43, DType.F32);
        using var b = TinyModels.Vit(43, DType.F32);
        using var c = TinyModels.Vit(44, DType.F32);
        using var clip = TinyModels.Clip(43, DType.F32);
        string fingerprint = ModelFingerprint.Of(a.Directory);
        Assert.Matches("^[0-9a-f]{64}$", fingerprint);
        Assert.Equal(fingerprint, ModelFingerprint.Of(b.Directory));
        Shards.Split(b.Directory, 3);
        Assert.Equal(fingerprint, ModelFingerprint.Of(b.Directory));
        Assert.NotEqual(fingerprint, ModelFingerprint.Of(c.Directory));
        Assert.NotEqual(fingerprint, ModelFingerprint.Of(clip.Directory));
    }
}
