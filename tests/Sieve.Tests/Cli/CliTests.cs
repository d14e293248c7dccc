using System.Text.Json;
using Sieve.Cli;
using Sieve.Data;
using Sieve.Models;
using Sieve.Tests.Data;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>The <c>sieve</c> commands end to end on generated models and images.</summary>
public sealed partial class CliTests : IDisposable
{
    readonly TempFolder _temp = new("sieve-cli-");

    public void Dispose() => _temp.Dispose();

    /// <summary>Runs <c>sieve</c>; deconstructs to (code, both streams), or read <see cref="CliRun.Stdout"/> and <see cref="CliRun.Stderr"/> apart.</summary>
    static CliRun Run(params string[] args) => CliRun.Of(args);

    string WriteImage(string name, int seed, int size = 40)
    {
        var rng = new Random(seed);
        var samples = new byte[size * size * 3];
        rng.NextBytes(samples);
        string path = Path.Combine(_temp.Path, name);
        File.WriteAllBytes(path, TestPng.Encode(size, size, TestPng.ColorType.Rgb, samples));
        return path;
    }

    [Fact]
    public void ClassifyPrintsTopClassesWithNames()
    {
        using var ck = TinyModels.Vit(51, DType.F32);
        string image = WriteImage("a.png", 1);
        var (code, output) = Run("classify", "--model", ck.Directory, "--top", "3", image);
        Assert.True(code == 0, output);
        var expected = VitModel.Load(ck.Directory).Classify(ImageDecoder.Decode(image), 3);
        Assert.Contains($"{expected[0].Label} ({expected[0].Index})", output);
        Assert.Contains($"{expected[2].Label} ({expected[2].Index})", output);
    }

    [Fact]
    public void ZeroShotRanksTheGivenLabels()
    {
        using var ck = TinyModels.Clip(52, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        string image = WriteImage("b.png", 2, 48);
        var (code, output) = Run("zeroshot", "--model", ck.Directory, "--labels", "cat, dog", "--template", "a {}", image);
        Assert.True(code == 0, output);
        var model = ClipModel.Load(ck.Directory);
        var best = model.ZeroShot(["cat", "dog"], ["a {}"]).Classify(ImageDecoder.Decode(image))[0];
        Assert.Contains(best.Label, output);
        Assert.Contains($"{best.Probability:P2}", output);
    }

    [Fact]
    public void EmbedWritesImageEmbeddingsOfAFolder()
    {
        using var ck = TinyModels.Vit(53, DType.F16);
        string folder = Path.Combine(_temp.Path, "images");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < 3; i++) File.Move(WriteImage($"{i}.png", 10 + i), Path.Combine(folder, $"{i}.png"));
        string outFile = Path.Combine(_temp.Path, "emb.safetensors");
        var (code, output) = Run("embed", "--model", ck.Directory, "--images", folder, "--out", outFile);
        Assert.True(code == 0, output);
        Assert.Contains("wrote 3", output);
        using var file = SafetensorsFile.Open(outFile);
        var data = file.ReadFloats("embeddings", 3, TinyModels.VitWidth);
        var model = VitModel.Load(ck.Directory);
        var names = JsonSerializer.Deserialize<string[]>(file.Metadata["names"])!;
        for (int i = 0; i < 3; i++)
            Assert.Equal(model.EncodeImage(ImageDecoder.Decode(names[i])), data.AsSpan(i * TinyModels.VitWidth, TinyModels.VitWidth).ToArray());
    }

    [Fact]
    public void EmbedWritesTextEmbeddingsAsJson()
    {
        using var ck = TinyModels.Clip(54, DType.BF16);
        TinyClipVocab.WriteTo(ck.Directory);
        string texts = Path.Combine(_temp.Path, "texts.txt");
        File.WriteAllLines(texts, ["a cat", "", "the dog"]);
        string outFile = Path.Combine(_temp.Path, "t.json");
        var (code, output) = Run("embed", "--model", ck.Directory, "--texts", texts, "--out", outFile, "--normalize");
        Assert.True(code == 0, output);
        var items = JsonDocument.Parse(File.ReadAllText(outFile)).RootElement.EnumerateArray().ToArray();
        Assert.Equal(["a cat", "the dog"], items.Select(e => e.GetProperty("name").GetString()));
        var want = ZeroShotClassifier.Normalized(ClipModel.Load(ck.Directory).EncodeText("the dog"));
        Assert.Equal(want, items[1].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }

    [Fact]
    public void BadInputGivesOneClearErrorAndExitCode2()
    {
        using var vit = TinyModels.Vit(55, DType.F32);
        string corrupt = Path.Combine(_temp.Path, "broken.jpg");
        File.WriteAllBytes(corrupt, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);

        var (code, output) = Run("classify", "--model", vit.Directory, corrupt);
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("broken.jpg", output);
        Assert.DoesNotContain("   at ", output); // no stack trace

        (code, output) = Run("classify", "--model", Path.Combine(_temp.Path, "nope"), corrupt);
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("does not exist", output);

        (code, output) = Run("zeroshot", "--model", vit.Directory, "--labels", "a", corrupt);
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("not a CLIP model", output);

        using var clip = TinyModels.Clip(56, DType.F32); // no vocab.json / merges.txt written
        string texts = Path.Combine(_temp.Path, "t.txt");
        File.WriteAllText(texts, "a cat");
        (code, output) = Run("embed", "--model", clip.Directory, "--texts", texts, "--out", Path.Combine(_temp.Path, "x.json"));
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("vocab.json", output);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "x.json")));
    }

    [Fact]
    public void OutOfRangeOptionsAreRejected()
    {
        using var vit = TinyModels.Vit(57, DType.F32);
        var (code, output) = Run("classify", "--model", vit.Directory, "--top", "0", WriteImage("c.png", 3));
        Assert.NotEqual(0, code);
        Assert.Contains("--top must be at least 1", output);
    }
}
