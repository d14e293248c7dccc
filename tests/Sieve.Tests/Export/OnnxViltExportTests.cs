using Microsoft.ML.OnnxRuntime;
using Sieve.Export;
using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Export;

/// <summary>The exported ViLT graph in ONNX Runtime against Sieve's ViltModel: VQA logits and match score, square and non-square images.</summary>
public class OnnxViltExportTests
{
    const double Tolerance = 1e-4;

    internal static (float[] Logits, float[] Match) RunOnnx(InferenceSession session, int[] ids, float[] pixels, int height, int width)
    {
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);
        using var pixelValue = OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, height, width]);
        using var options = new RunOptions();
        using var outputs = session.Run(options, ["input_ids", "pixel_values"], [idValue, pixelValue], ["logits", "match_score"]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData(DType.F32, 32, 32)]  // the trained grid: the resize is the identity
    [InlineData(DType.F16, 24, 40)]  // 3×5 patches: the 4×4 grid interpolated
    public void VqaLogitsAndMatchScoreMatchSieve(DType dtype, int height, int width)
    {
        using var ck = TinyVilt.Write(71, dtype: dtype);
        var model = ViltModel.Load(ck.Directory);
        using var stream = new MemoryStream();
        var info = OnnxExporter.Export(ck.Directory, stream);
        using var session = new InferenceSession(stream.ToArray());
        int[] ids = [TinyVilt.Id("[CLS]"), TinyVilt.Id("what"), TinyVilt.Id("color"), TinyVilt.Id("is"), TinyVilt.Id("the"), TinyVilt.Id("cat"), TinyVilt.Id("?"), TinyVilt.Id("[SEP]")];
        var pixels = Rand.Uniform(new Random(72), 3 * height * width);
        var input = new ViltInput(ids, pixels, height, width);

        var (logits, match) = RunOnnx(session, ids, pixels, height, width);
        Assert.InRange(OnnxExportTests.RelativeError(logits, model.AnswerLogits(input)), 0, Tolerance);
        Assert.InRange(OnnxExportTests.RelativeError(match, [model.MatchScore(input)]), 0, Tolerance);
        Assert.Contains("input_ids int64 [batch, sequence], pixel_values float32 [batch, 3, height, width]", info.Signature);
    }

    [Fact]
    public void RandomViltExportHasTheWeightsOfCreateRandom()
    {
        var config = new ViltConfig(32, 2, 4, 64, 1e-12f, 64, 16, 12, 50);
        var model = ViltModel.CreateRandom(config, seed: 4, answers: 9);
        using var stream = new MemoryStream();
        OnnxExporter.ExportRandomVilt(config, 4, 9, stream);
        using var session = new InferenceSession(stream.ToArray());
        int[] ids = [2, 7, 11, 13, 3];
        var pixels = Rand.Uniform(new Random(5), 3 * 64 * 64);
        var (logits, match) = RunOnnx(session, ids, pixels, 64, 64);
        var input = new ViltInput(ids, pixels, 64, 64);
        Assert.InRange(OnnxExportTests.RelativeError(logits, model.AnswerLogits(input)), 0, Tolerance);
        Assert.InRange(OnnxExportTests.RelativeError(match, [model.MatchScore(input)]), 0, Tolerance);
    }

    [Fact]
    public void TextTowerOfAViltIsRefused()
    {
        using var ck = TinyVilt.Write(73);
        var e = Assert.Throws<ArgumentException>(() => OnnxExporter.Export(ck.Directory, new MemoryStream(), ClipTower.Text));
        Assert.Contains("exists only for CLIP", e.Message);
    }
}
