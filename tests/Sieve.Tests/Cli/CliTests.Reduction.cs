using System.Text.Json;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>eval, sweep and visualize end to end on a generated ViT and a generated ImageNet-style folder.</summary>
public sealed partial class CliTests
{
    /// <summary>Six images named WNID_k.png over the tiny ViT's 10 classes, with classes.json beside them.</summary>
    string WriteDataset(bool withClasses = true)
    {
        string dir = Path.Combine(_temp.Path, "data");
        Directory.CreateDirectory(dir);
        for (int i = 0; i < 6; i++)
            File.Move(WriteImage($"img{i}.png", 100 + i), Path.Combine(dir, $"n{i % TinyModels.VitClasses:D3}_{i}.png"));
        if (withClasses)
            File.WriteAllText(Path.Combine(dir, "classes.json"), JsonSerializer.Serialize(new { wnids = Enumerable.Range(0, TinyModels.VitClasses).Select(i => $"n{i:D3}") }));
        return dir;
    }

    [Fact]
    public void EvalReportsAccuracyAgreementAndExecutedGMacsPerReducer()
    {
        using var ck = TinyModels.Vit(61, DType.F32);
        var (code, output) = Run("eval", "--model", ck.Directory, "--data", WriteDataset(), "--json",
            "--reducer", "tome:r=2", "--reducer", "crossget:r=3", "--reducer", "madtp:target=0.8", "--calibration", "3");
        Assert.True(code == 0, output);
        var results = JsonDocument.Parse(output).RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["none", "tome:r=2", "crossget:r=3"], results.Take(3).Select(r => r.GetProperty("reducer").GetString()));
        Assert.StartsWith("madtp:t=", results[3].GetProperty("reducer").GetString());
        double dense = results[0].GetProperty("gMacs").GetDouble();
        Assert.Equal(1.0, results[0].GetProperty("agreement").GetDouble());
        foreach (var r in results.Skip(1))
        {
            Assert.InRange(r.GetProperty("gMacs").GetDouble(), 0.3 * dense, 0.99 * dense);
            Assert.InRange(r.GetProperty("agreement").GetDouble(), 0, 1);
            Assert.Equal(6, r.GetProperty("images").GetInt32());
            Assert.True(r.GetProperty("imagesPerSecond").GetDouble() > 0);
        }
    }

    [Fact]
    public void EvalRefusesBadInputWithTheReason()
    {
        using var ck = TinyModels.Vit(62, DType.F32);
        string data = WriteDataset(withClasses: false);
        Assert.Contains("no classes.json or imagenet-classes.json", Run("eval", "--model", ck.Directory, "--data", data).Output);
        File.WriteAllText(Path.Combine(data, "classes.json"), """{"wnids": ["n000", "n001"]}""");
        Assert.Contains("class 'n002' (the name before '_') is not in", Run("eval", "--model", ck.Directory, "--data", data).Output);
        File.WriteAllText(Path.Combine(data, "classes.json"), JsonSerializer.Serialize(new { wnids = Enumerable.Range(0, 10).Select(i => $"n{i:D3}") }));
        var (code, output) = Run("eval", "--model", ck.Directory, "--data", data, "--reducer", "tome:q=1");
        Assert.Equal(2, code);
        Assert.Contains("tome has no parameter 'q'", output);
    }

    [Fact]
    public void SweepWritesResultsAndPlots()
    {
        using var ck = TinyModels.Vit(63, DType.F32);
        string outDir = Path.Combine(_temp.Path, "sweep");
        var (code, output) = Run("sweep", "--model", ck.Directory, "--data", WriteDataset(), "--methods", "tome,crossget", "--r", "0,2,4", "--out", outDir);
        Assert.True(code == 0, output);
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "sweep.json"))).RootElement.GetProperty("results");
        Assert.Equal(["none", "tome:r=2", "tome:r=4", "crossget:r=2", "crossget:r=4"], results.EnumerateArray().Select(r => r.GetProperty("reducer").GetString()));
        Assert.Contains("| `crossget:r=4` |", File.ReadAllText(Path.Combine(outDir, "sweep.md")));
        foreach (string png in new[] { "top1-vs-gmacs.png", "agreement-vs-gmacs.png", "top1-vs-throughput.png" })
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(outDir, png))[..4]);
    }

    [Fact]
    public void VisualizeDrawsTheMergedGroups()
    {
        using var ck = TinyModels.Vit(64, DType.F32);
        string png = Path.Combine(_temp.Path, "groups.png");
        var (code, output) = Run("visualize", "--model", ck.Directory, "--reducer", "tome:r=3", "--layers", "1,2", "--out", png, WriteImage("v.png", 7));
        Assert.True(code == 0, output);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        Assert.Contains("is not a layer in 1…2", Run("visualize", "--model", ck.Directory, "--reducer", "tome:r=3", "--layers", "5", "--out", png, WriteImage("w.png", 8)).Output);
        Assert.Contains("must be a .png file", Run("visualize", "--model", ck.Directory, "--reducer", "tome:r=3", "--out", "x.jpg", WriteImage("u.png", 9)).Output);
    }

    [Fact]
    public void EveryModelCommandTakesAReducer()
    {
        using var vit = TinyModels.Vit(65, DType.F32);
        string image = WriteImage("r.png", 11);
        var (code, output) = Run("classify", "--model", vit.Directory, "--reducer", "crossget:r=3", image);
        Assert.True(code == 0, output);
        var want = Sieve.Models.VitModel.Load(vit.Directory);
        var expected = want.Classify(Sieve.Data.ImageDecoder.Decode(image), 5, Sieve.Reduction.ReductionSpec.Parse("crossget:r=3").Bind(want.Tower));
        Assert.Contains($"{expected[0].Label} ({expected[0].Index})", output);

        using var clip = TinyModels.Clip(66, DType.F32);
        Sieve.Tests.Support.TinyClipVocab.WriteTo(clip.Directory);
        (code, output) = Run("zeroshot", "--model", clip.Directory, "--labels", "cat,dog", "--template", "a {}", "--reducer", "vision=tome:r=2;text=crossget:r=1", image);
        Assert.True(code == 0, output);
        string embeddings = Path.Combine(_temp.Path, "e.json");
        (code, output) = Run("embed", "--model", clip.Directory, "--images", image, "--reducer", "madtp:t=5", "--out", embeddings);
        Assert.True(code == 0, output);
        (code, output) = Run("embed", "--model", clip.Directory, "--images", image, "--reducer", "madtp:target=0.5", "--out", embeddings);
        Assert.Equal(2, code);
        Assert.Contains("give a temperature here, madtp:t=", output);
    }
}
