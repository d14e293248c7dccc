using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>
/// <c>--reducer</c> reaches the model: each command's reduced output is the library's reduced output, number for
/// number, and differs from the dense one.
/// </summary>
public sealed partial class CliTests
{
    /// <summary>The printed prediction rows, cells joined by " | " whatever the table's border characters.</summary>
    static string[] Rows(string output) => output.Split('\n')
        .Where(line => line.Contains('%'))
        .Select(line => string.Join(" | ", line.Split('│', '|').Select(cell => cell.Trim()).Where(cell => cell.Length > 0)))
        .ToArray();

    static string[] Rows(IEnumerable<Prediction> predictions, bool showIndex) =>
        predictions.Select((p, i) => $"{i + 1} | {(showIndex ? $"{p.Label} ({p.Index})" : p.Label)} | {p.Probability:P2}").ToArray();

    [Fact]
    public void ClassifyWithAReducerPrintsTheReducedPredictions()
    {
        using var ck = TinyModels.Vit(67, DType.F32);
        string image = WriteImage("rc.png", 12);
        var model = VitModel.Load(ck.Directory);
        var decoded = ImageDecoder.Decode(image);
        var reduced = Rows(model.WithReduction(ModelReduction.Parse("crossget:r=3")).Classify(decoded, 10), showIndex: true);
        var dense = Rows(model.Classify(decoded, 10), showIndex: true);
        Assert.NotEqual(dense, reduced);

        var (code, output) = Run("classify", "--model", ck.Directory, "--top", "10", "--reducer", "crossget:r=3", image);
        Assert.True(code == 0, output);
        Assert.Equal(reduced, Rows(output));
        (code, output) = Run("classify", "--model", ck.Directory, "--top", "10", image);
        Assert.True(code == 0, output);
        Assert.Equal(dense, Rows(output));
    }

    [Fact]
    public void ZeroShotWithAReducerPrintsTheReducedProbabilities()
    {
        using var ck = TinyModels.Clip(68, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        string image = WriteImage("rz.png", 13);
        const string spec = "vision=tome:r=2;text=crossget:r=1";
        var model = ClipModel.Load(ck.Directory);
        var decoded = ImageDecoder.Decode(image);
        string[] labels = ["cat", "dog", "fox"], templates = ["a {}"];
        var bound = ModelReduction.Parse(spec);
        var reduced = Rows(model.WithReduction(bound).ZeroShot(labels, templates).Classify(decoded, 3), showIndex: false);
        var dense = Rows(model.ZeroShot(labels, templates).Classify(decoded, 3), showIndex: false);
        Assert.NotEqual(dense, reduced);

        var (code, output) = Run("zeroshot", "--model", ck.Directory, "--labels", "cat,dog,fox", "--template", "a {}", "--reducer", spec, image);
        Assert.True(code == 0, output);
        Assert.Equal(reduced, Rows(output));
        (code, output) = Run("zeroshot", "--model", ck.Directory, "--labels", "cat,dog,fox", "--template", "a {}", image);
        Assert.True(code == 0, output);
        Assert.Equal(dense, Rows(output));
    }

    [Fact]
    public void EmbedWithAReducerWritesTheReducedEmbeddings()
    {
        using var ck = TinyModels.Clip(69, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        var model = ClipModel.Load(ck.Directory);
        string image = WriteImage("re.png", 14);
        var decoded = ImageDecoder.Decode(image);
        static float[] Embedding(string json) =>
            JsonDocument.Parse(json).RootElement[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();

        string outFile = Path.Combine(_temp.Path, "re.json");
        var (code, output) = Run("embed", "--model", ck.Directory, "--images", image, "--reducer", "madtp:t=5", "--out", outFile);
        Assert.True(code == 0, output);
        var reducedImage = model.WithReduction(ModelReduction.Parse("madtp:t=5")).EncodeImage(decoded);
        Assert.Equal(reducedImage, Embedding(File.ReadAllText(outFile)));
        Assert.NotEqual(model.EncodeImage(decoded), reducedImage);

        string texts = Path.Combine(_temp.Path, "re.txt");
        File.WriteAllText(texts, "a cat");
        (code, output) = Run("embed", "--model", ck.Directory, "--texts", texts, "--reducer", "text=tome:r=1", "--out", outFile);
        Assert.True(code == 0, output);
        var reducedText = model.WithReduction(ModelReduction.Parse("text=tome:r=1")).EncodeText("a cat");
        Assert.Equal(reducedText, Embedding(File.ReadAllText(outFile)));
        Assert.NotEqual(model.EncodeText("a cat"), reducedText);
    }
}
