using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;

namespace Sieve.Tests.Eval;

/// <summary>MADTP's compute target calibrated on BLIP retrieval: the temperature found meets the target on the calibration images.</summary>
public sealed class BlipCalibrationTests
{
    [Fact]
    public void MadtpOnBlipRetrievalIsCalibratedToHalfTheDenseGMacs()
    {
        // 64 image tokens and 4 vision layers, so there is room to prune; texts of 4–6 tokens.
        var shape = new TinyBlip.Shape(VisionLayers: 4, ImageSize: 64);
        using var ck = TinyBlip.Write(95, shape);
        var blip = BlipModel.Load(ck.Directory);
        var random = new Random(96);
        var images = Enumerable.Range(0, 8).Select(_ => TowerInput.Image(Rand.Uniform(random, 3 * 64 * 64), 64)).ToArray();
        string[] words = ["a", "photo", "of", "cat", "dog", "on", "the", "sofa", "play", "two"];
        var texts = Enumerable.Range(0, 16).Select(_ => TowerInput.Text(
            [TinyBlip.Id("[CLS]"), .. Enumerable.Range(0, random.Next(2, 5)).Select(_ => TinyBlip.Id(words[random.Next(words.Length)])), TinyBlip.Id("[SEP]")])).ToArray();
        ITaskEvaluation evaluation = new RetrievalEvaluation(blip, images, texts, [.. Enumerable.Range(0, 16).Select(t => t / 2)]);

        var calibrated = evaluation.Calibrate(ModelReduction.Parse("madtp:target=0.5"), items: 6);
        Assert.False(Assert.IsType<MadtpSpec>(calibrated.Vision).NeedsCalibration);

        // Measured independently on the 6 calibration images and their texts: executed GMACs per image over dense's.
        var rows = evaluation.Subset([0, 1, 2, 3, 4, 5]).Evaluate([calibrated]);
        Assert.InRange(rows[1].GMacs / rows[0].GMacs, 0.5 * 0.98, 0.5 * 1.02);
    }
}
