using Microsoft.ML.OnnxRuntime;
using Sieve.Export;
using Sieve.Models;
using Sieve.Tensors;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Export;

/// <summary>The exported BLIP matching graph in ONNX Runtime against Sieve's BlipModel.Match: ITM probability and contrastive score, a batch of two.</summary>
public class OnnxBlipExportTests
{
    // Both outputs lie in [-1, 1]; float32 in both engines, summed in different orders: differences of a few 1e-7.
    const double Tolerance = 1e-5;

    static (float[] Probability, float[] Contrastive) RunOnnx(InferenceSession session, int[][] texts, float[] pixels, int side)
    {
        int b = texts.Length;
        using var idValue = OrtValue.CreateTensorValueFromMemory(texts.SelectMany(t => t).Select(i => (long)i).ToArray(), [b, texts[0].Length]);
        using var pixelValue = OrtValue.CreateTensorValueFromMemory(pixels, [b, 3, side, side]);
        using var options = new RunOptions();
        using var outputs = session.Run(options, ["pixel_values", "input_ids"], [pixelValue, idValue], ["itm_probability", "contrastive_score"]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }

    static void AssertMatchesSieve(BlipModel model, InferenceSession session, int[][] texts, int seed)
    {
        int side = model.Config.ImageSize, n = 3 * side * side;
        var pixels = Rand.Uniform(new Random(seed), texts.Length * n);
        var (probability, contrastive) = RunOnnx(session, texts, pixels, side);
        for (int i = 0; i < texts.Length; i++)
        {
            var sieve = model.Match(pixels[(i * n)..((i + 1) * n)], texts[i]);
            Assert.InRange(sieve.MatchProbability, 0.02, 0.98); // not saturated: a wrong logit shows
            Assert.Equal(sieve.MatchProbability, probability[i], Tolerance);
            Assert.Equal(sieve.ContrastiveScore, contrastive[i], Tolerance);
        }
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    public void MatchProbabilityAndContrastiveScoreMatchSieve(DType dtype)
    {
        using var ck = TinyBlip.Write(91, dtype: dtype);
        var model = BlipModel.Load(ck.Directory);
        using var stream = new MemoryStream();
        var info = OnnxExporter.Export(ck.Directory, stream);
        using var session = new InferenceSession(stream.ToArray());
        int[][] texts =
        [
            [.. new[] { "[CLS]", "a", "photo", "of", "two", "cat", "##s", "[SEP]" }.Select(TinyBlip.Id)],
            [.. new[] { "[CLS]", "the", "dog", "on", "the", "sofa", ".", "[SEP]" }.Select(TinyBlip.Id)],
        ];
        AssertMatchesSieve(model, session, texts, 92);
        Assert.Equal("pixel_values float32 [batch, 3, 32, 32], input_ids int64 [batch, sequence] → itm_probability float32 [batch], contrastive_score float32 [batch]", info.Signature);
        // The text encoder runs twice (alone, and with the image) on weights stored once.
        Assert.Equal(ck.Values.Values.Sum(v => (long)v.Length), info.Parameters);
    }

    [Fact]
    public void RandomBlipExportHasTheWeightsOfCreateRandom()
    {
        var config = new BlipConfig(new ClipTowerConfig(32, 2, 4, 64, 1e-5f, Activation.Gelu), 32, 8,
            new ClipTowerConfig(24, 2, 3, 48, 1e-12f, Activation.Gelu), 40, 16, 16);
        var model = BlipModel.CreateRandom(config, seed: 6);
        using var stream = new MemoryStream();
        OnnxExporter.ExportRandomBlip(config, 6, stream);
        using var session = new InferenceSession(stream.ToArray());
        AssertMatchesSieve(model, session, [[2, 7, 11, 13, 3], [2, 30, 31, 39, 3]], 7);
    }

    [Fact]
    public void TextTowerOfABlipIsRefused()
    {
        using var ck = TinyBlip.Write(93);
        var e = Assert.Throws<ArgumentException>(() => OnnxExporter.Export(ck.Directory, new MemoryStream(), ClipTower.Text));
        Assert.Contains("BLIP, exported as one matching graph of both towers", e.Message);
    }
}
