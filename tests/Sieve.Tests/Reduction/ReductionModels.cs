using Sieve.Nn;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;

namespace Sieve.Tests.Reduction;

/// <summary>Randomly initialised CLIP models for reducer tests: a small one (65 image tokens) and the ViT-B/16 shape.</summary>
static class ReductionModels
{
    static readonly Lazy<ClipModel> SmallModel = new(() => ClipModel.CreateRandom(new ClipConfig(
        new ClipTowerConfig(64, 3, 4, 128, 1e-5f, Activation.QuickGelu), 64, 8,
        new ClipTowerConfig(32, 3, 4, 64, 1e-5f, Activation.QuickGelu), 100, 24, 99, 16), seed: 5));

    static readonly Lazy<ClipModel> VitB16Model = new(() => ClipModel.CreateRandom(ClipConfig.VitB16, seed: 1));

    public static ClipModel Small => SmallModel.Value;

    public static ClipModel VitB16 => VitB16Model.Value;

    public static float[] Pixels(ClipModel model, int seed) =>
        Support.Rand.Uniform(new Random(seed), 3 * model.Config.ImageSize * model.Config.ImageSize);

    /// <summary>Start token, <paramref name="length"/> − 2 word ids, end-of-text.</summary>
    public static int[] Text(ClipModel model, int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length)
            .Select(i => i == length - 1 ? model.Config.EosTokenId : i == 0 ? model.Config.EosTokenId - 1 : rng.Next(1, model.Config.EosTokenId - 1))
            .ToArray();
    }

    /// <summary>Seeded cross-token offsets for both towers of <paramref name="model"/>.</summary>
    public static ReductionGuidance Offsets(ClipModel model, float std = 0.1f)
    {
        var rng = new Random(9);
        (int[], float[]) For(TowerInfo t) => ([t.Layers, t.Width], Support.Rand.Normal(rng, t.Layers * t.Width, std));
        return ReductionGuidance.FromTensors(new Dictionary<string, (int[], float[])>
        {
            [GuidanceTensors.CrossTokenOffsets(model.Vision.Info.Name)] = For(model.Vision.Info),
            [GuidanceTensors.CrossTokenOffsets(model.Text.Info.Name)] = For(model.Text.Info),
        });
    }
}
