using Microsoft.ML.OnnxRuntime;
using Sieve.Export;
using Sieve.Models;
using Sieve.Tensors;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Export;

/// <summary>
/// Exported graphs run in ONNX Runtime against Sieve's own forwards on the same inputs. Relative error is
/// max|onnx − sieve| / max|sieve| over the whole batch output; both compute in float32, in different orders.
/// </summary>
public class OnnxExportTests
{
    const double Tolerance = 1e-4;

    internal static double RelativeError(ReadOnlySpan<float> onnx, ReadOnlySpan<float> sieve)
    {
        Assert.Equal(sieve.Length, onnx.Length);
        double diff = 0, scale = 0;
        for (int i = 0; i < sieve.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(onnx[i] - sieve[i]));
            scale = Math.Max(scale, Math.Abs(sieve[i]));
        }
        return diff / scale;
    }

    static InferenceSession Session(string directory, ClipTower tower = ClipTower.Vision)
    {
        using var stream = new MemoryStream();
        OnnxExporter.Export(directory, stream, tower);
        return new InferenceSession(stream.ToArray());
    }

    internal static float[] Run<T>(InferenceSession session, T[] input, params long[] shape) where T : unmanaged
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var options = new RunOptions();
        using var outputs = session.Run(options, [session.InputNames[0]], [value], [session.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    static float[] Concat(IEnumerable<float[]> rows) => rows.SelectMany(r => r).ToArray();

    /// <summary>Runs the images as one [batch, 3, S, S] tensor in ONNX Runtime and one by one in Sieve.</summary>
    static void AssertImagesMatch(InferenceSession session, float[][] images, int size, Func<float[], float[]> sieve)
    {
        var onnx = Run(session, Concat(images), images.Length, 3, size, size);
        Assert.InRange(RelativeError(onnx, Concat(images.Select(sieve))), 0, Tolerance);
    }

    static float[][] RandomImages(int seed, int count, int size) =>
        Enumerable.Range(0, count).Select(i => Rand.Uniform(new Random(seed + i), 3 * size * size)).ToArray();

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    public void VitLogitsMatchSieve(DType dtype)
    {
        using var ck = TinyModels.Vit(61, dtype);
        var model = VitModel.Load(ck.Directory);
        using var session = Session(ck.Directory);
        AssertImagesMatch(session, RandomImages(62, 3, TinyModels.VitImage), TinyModels.VitImage, p => model.Logits(p));
        Assert.Equal("Sieve", session.ModelMetadata.ProducerName);
        Assert.Equal(-1, session.InputMetadata["pixel_values"].Dimensions[0]); // symbolic batch
    }

    [SharedDataFact]
    public void RealVitTinyLogitsMatchSieve_SharedData()
    {
        string directory = SharedData.Path("models", "vit-tiny-patch16-224");
        var model = VitModel.Load(directory);
        var files = Directory.GetFiles(SharedData.Path("data", "imagenet-sample-dev")).Order(StringComparer.Ordinal).Take(4);
        using var session = Session(directory);
        AssertImagesMatch(session, files.Select(f => model.Preprocess(Sieve.Data.ImageDecoder.Decode(f))).ToArray(), 224, p => model.Logits(p));
    }

    [Theory]
    [InlineData(DType.F32, "quick_gelu")]
    [InlineData(DType.BF16, "gelu")]
    public void ClipImageEmbeddingsMatchSieve(DType dtype, string act)
    {
        using var ck = TinyModels.Clip(63, dtype, act);
        var model = ClipModel.Load(ck.Directory);
        using var session = Session(ck.Directory, ClipTower.Vision);
        AssertImagesMatch(session, RandomImages(64, 2, TinyModels.ClipImage), TinyModels.ClipImage, p => model.Vision.Encode(p));
    }

    [Theory]
    [InlineData(DType.F32, "quick_gelu")]
    [InlineData(DType.BF16, "gelu")]
    public void ClipTextEmbeddingsMatchSieveForPaddedRowsOfAnyLength(DType dtype, string act)
    {
        using var ck = TinyModels.Clip(65, dtype, act);
        var model = ClipModel.Load(ck.Directory);
        const int eos = TinyModels.ClipVocab - 1, start = TinyModels.ClipVocab - 2;
        int[][] texts =
        [
            [start, 5, 9, eos],
            [start, 17, 4, 33, 8, eos],
            [start, eos],
            Enumerable.Range(0, TinyModels.ClipPositions).Select(i => 1 + i * 7 % 50).ToArray(), // no end-of-text: pooled at the last token
        ];
        using var session = Session(ck.Directory, ClipTower.Text);
        foreach (int length in new[] { TinyModels.ClipPositions, 7 })
        {
            // Pad after end-of-text with end-of-text, or with other ids: neither may change the embedding.
            var rows = texts.Where(t => t.Length <= length || !t.Contains(eos)).Select((t, r) =>
                t.Concat(Enumerable.Repeat(r % 2 == 0 ? eos : 3, Math.Max(0, length - t.Length))).Take(length).ToArray()).ToArray();
            var ids = rows.SelectMany(r => r.Select(id => (long)id)).ToArray();
            var onnx = Run(session, ids, rows.Length, length);
            var sieve = Concat(rows.Select(r => model.Text.Encode(r)));
            Assert.InRange(RelativeError(onnx, sieve), 0, Tolerance);
        }
    }

    [Fact]
    public void RandomClipExportHasTheWeightsOfCreateRandom()
    {
        var config = new ClipConfig(
            new ClipTowerConfig(32, 2, 4, 64, 1e-5f, Activation.QuickGelu), 32, 8,
            new ClipTowerConfig(24, 2, 2, 48, 1e-5f, Activation.Gelu), 60, 16, 59, 16);
        var model = ClipModel.CreateRandom(config, seed: 7);
        using var vision = new MemoryStream();
        using var text = new MemoryStream();
        var (visionInfo, textInfo) = OnnxExporter.ExportRandomClip(config, 7, vision, text);
        Assert.Equal(vision.Length, visionInfo.Bytes);
        Assert.Equal("clip_text", textInfo.Graph);

        var pixels = Rand.Uniform(new Random(66), 3 * 32 * 32);
        using (var session = new InferenceSession(vision.ToArray()))
            Assert.InRange(RelativeError(Run(session, pixels, 1, 3, 32, 32), model.Vision.Encode(pixels)), 0, Tolerance);
        int[] ids = [58, 12, 40, 3, 59];
        using (var session = new InferenceSession(text.ToArray()))
            Assert.InRange(RelativeError(Run(session, ids.Select(i => (long)i).ToArray(), 1, ids.Length), model.Text.Encode(ids)), 0, Tolerance);
    }

    [Fact]
    public void ExportReportsWhatItWrote()
    {
        using var ck = TinyModels.Clip(67, DType.F16);
        using var temp = new TempFolder();
        var info = OnnxExporter.Export(ck.Directory, temp.File("text.onnx"), ClipTower.Text);
        Assert.Equal(new FileInfo(temp.File("text.onnx")).Length, info.Bytes);
        Assert.Equal($"input_ids int64 [batch, sequence] → text_embeds float32 [batch, {TinyModels.ClipProjection}]", info.Signature);
        // Every checkpoint tensor of the text tower and its projection, nothing else.
        long expected = ck.Stored.Where(kv => kv.Key.StartsWith("text_")).Sum(kv => (long)kv.Value.Length);
        Assert.Equal(expected, info.Parameters);
        Assert.Single(Directory.GetFiles(temp.Path)); // no temporary file left behind
    }

    [Fact]
    public void ErrorsNameTheProblem()
    {
        using var vit = TinyModels.Vit(68, DType.F32);
        using var temp = new TempFolder();
        string missingFolder = Path.Combine(temp.Path, "no-such-folder", "model.onnx");
        var e = Assert.Throws<SieveFormatException>(() => OnnxExporter.Export(vit.Directory, missingFolder));
        Assert.Contains("no-such-folder", e.Message);
        Assert.Contains("does not exist", e.Message);

        var text = Assert.Throws<ArgumentException>(() => OnnxExporter.Export(vit.Directory, temp.File("t.onnx"), ClipTower.Text));
        Assert.Contains("only an image tower", text.Message);

        File.WriteAllText(Path.Combine(temp.Path, "config.json"), """{"architecture": "resnet50"}""");
        var unknown = Assert.Throws<SieveFormatException>(() => OnnxExporter.Export(temp.Path, temp.File("r.onnx")));
        Assert.Contains("not a model Sieve knows", unknown.Message);
        Assert.Equal([Path.Combine(temp.Path, "config.json")], Directory.GetFiles(temp.Path));
    }
}
