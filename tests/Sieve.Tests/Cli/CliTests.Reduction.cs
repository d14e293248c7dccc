using Sieve.Nn;
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

    /// <summary>
    /// What eval should report for <paramref name="spec"/>, computed here from the model's logits and traces: top-1 and
    /// top-5 against the label in each file name (n00K_i → K), agreement with the dense top-1, mean traced GMACs.
    /// </summary>
    static (double Top1, double Top5, double Agreement, double GMacs) Expected(string modelDir, string data, string spec)
    {
        var model = Sieve.Models.VitModel.Load(modelDir);
        var reducer = Sieve.Reduction.ModelReduction.Parse(spec).Bind(model.Info);
        int top1 = 0, top5 = 0, agree = 0;
        long macs = 0;
        var files = Directory.GetFiles(data, "*.png");
        foreach (var file in files)
        {
            var pixels = model.Preprocess(Sieve.Data.ImageDecoder.Decode(file));
            int label = int.Parse(Path.GetFileName(file)[1..4]);
            var trace = new Sieve.Nn.ForwardTrace();
            var logits = model.Logits(pixels, BlockHook.Combine(reducer, trace));
            var ranked = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).ToArray();
            var dense = model.Logits(pixels);
            int denseTop1 = Enumerable.Range(0, dense.Length).OrderByDescending(i => dense[i]).ThenBy(i => i).First();
            top1 += ranked[0] == label ? 1 : 0;
            top5 += ranked.Take(5).Contains(label) ? 1 : 0;
            agree += ranked[0] == denseTop1 ? 1 : 0;
            macs += trace.Macs;
        }
        double n = files.Length;
        return (100 * (top1 / n), 100 * (top5 / n), agree / n, macs / n / 1e9); // top-1 and top-5 in percentage points, as reported
    }

    static (double, double, double, double) Reported(JsonElement row) =>
        (row.GetProperty("metrics").GetProperty("top1").GetDouble(), row.GetProperty("metrics").GetProperty("top5").GetDouble(), row.GetProperty("agreement").GetDouble(), row.GetProperty("gMacs").GetDouble());

    [Fact]
    public void EvalReportsAccuracyAgreementAndExecutedGMacsPerReducer()
    {
        using var ck = TinyModels.Vit(61, DType.F32);
        string data = WriteDataset();
        var (code, output) = Run("eval", "--model", ck.Directory, "--data", data, "--json",
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
            Assert.Equal(6, r.GetProperty("items").GetInt32());
            Assert.True(r.GetProperty("itemsPerSecond").GetDouble() > 0);
        }
        for (int i = 0; i < 3; i++) // exact, not only in range
            Assert.Equal(Expected(ck.Directory, data, results[i].GetProperty("reducer").GetString()!), Reported(results[i]));
        Assert.Equal(Expected(ck.Directory, data, results[3].GetProperty("reducer").GetString()!), Reported(results[3]));
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
        File.WriteAllText(Path.Combine(data, "classes.json"), JsonSerializer.Serialize(new { wnids = Enumerable.Range(0, TinyModels.VitClasses + 1).Select(i => $"n{i:D3}") }));
        File.Move(WriteImage("late.png", 120), Path.Combine(data, $"n{TinyModels.VitClasses:D3}_late.png")); // one class beyond the model's
        Assert.Contains($"labels go up to {TinyModels.VitClasses}, but the model has {TinyModels.VitClasses} classes", Refused(CliRun.Of(["eval", "--model", ck.Directory, "--data", data])));
    }

    [Fact]
    public void SweepWritesResultsAndPlots()
    {
        using var ck = TinyModels.Vit(63, DType.F32);
        string outDir = Path.Combine(_temp.Path, "sweep");
        string data = WriteDataset();
        var (code, output) = Run("sweep", "--model", ck.Directory, "--data", data, "--methods", "tome,crossget", "--r", "0,2,4", "--out", outDir);
        Assert.True(code == 0, output);
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "sweep.json"))).RootElement.GetProperty("results");
        Assert.Equal(["none", "tome:r=2", "tome:r=4", "crossget:r=2", "crossget:r=4"], results.EnumerateArray().Select(r => r.GetProperty("reducer").GetString()));
        foreach (var row in results.EnumerateArray())
            Assert.Equal(Expected(ck.Directory, data, row.GetProperty("reducer").GetString()!), Reported(row));
        Assert.Contains("| `crossget:r=4` |", File.ReadAllText(Path.Combine(outDir, "sweep.md")));
        foreach (string png in new[] { "metric-vs-gmacs.png", "agreement-vs-gmacs.png", "metric-vs-throughput.png" })
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(outDir, png))[..4]);
            var plot = Sieve.Data.ImageDecoder.Decode(Path.Combine(outDir, png));
            Assert.Equal((800, 560), (plot.Width, plot.Height)); // a whole plot, not an empty or cut-off file
        }
    }

    [Fact]
    public void VisualizeDrawsTheMergedGroups()
    {
        using var ck = TinyModels.Vit(64, DType.F32);
        string png = Path.Combine(_temp.Path, "groups.png");
        string input = WriteImage("v.png", 7);
        var (code, output) = Run("visualize", "--model", ck.Directory, "--reducer", "tome:r=3", "--layers", "1,2", "--out", png, input);
        Assert.True(code == 0, output);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);

        // Three panels (input, layer 1, layer 2), each the 32-pixel view drawn at 2×, 12 apart, under a 46-pixel header.
        var drawn = Sieve.Data.ImageDecoder.Decode(png);
        Assert.Equal((3 * (64 + 12) + 12, 46 + 64 + 12), (drawn.Width, drawn.Height));
        var model = Sieve.Models.VitModel.Load(ck.Directory);
        var view = model.Preprocessor.View(Sieve.Data.ImageDecoder.Decode(input));
        var trace = new Sieve.Nn.ForwardTrace { KeepSourceMaps = true };
        model.Features(model.Preprocessor.Process(Sieve.Data.ImageDecoder.Decode(input)), BlockHook.Combine(Sieve.Reduction.ModelReduction.Parse("tome:r=3").Bind(model.Info), trace));
        const int patch = TinyModels.VitPatch, grid = TinyModels.VitImage / patch;
        for (int panel = 0; panel < 3; panel++)
        {
            // Group of each patch after the panel's layer (the input panel: every patch its own group).
            var group = panel == 0 ? Enumerable.Range(0, grid * grid).ToArray() : trace.Layers[panel - 1].Source![1..];
            for (int py = 0; py < grid; py++)
                for (int px = 0; px < grid; px++)
                {
                    // The patch's centre pixel: the view itself, or the mean colour of the patch's group (integer division).
                    int x = px * patch + patch / 2, y = py * patch + patch / 2;
                    var members = Enumerable.Range(0, grid * grid).Where(q => group[q] == group[py * grid + px]).ToArray();
                    byte Mean(int c) => panel == 0 ? Channel(view.GetPixel(x, y), c) : (byte)(members
                        .SelectMany(q => Enumerable.Range(0, patch * patch).Select(k => Channel(view.GetPixel(q % grid * patch + k % patch, q / grid * patch + k / patch), c)))
                        .Sum(v => (long)v) / (members.Length * patch * patch));
                    Assert.Equal((Mean(0), Mean(1), Mean(2)), drawn.GetPixel(12 + panel * (64 + 12) + 2 * x, 46 + 2 * y));
                }
        }
        Assert.Contains("is not a layer in 1…2", Run("visualize", "--model", ck.Directory, "--reducer", "tome:r=3", "--layers", "5", "--out", png, WriteImage("w.png", 8)).Output);
        Assert.Contains("must be a .png file", Run("visualize", "--model", ck.Directory, "--reducer", "tome:r=3", "--out", "x.jpg", WriteImage("u.png", 9)).Output);
    }

    static byte Channel((byte R, byte G, byte B) pixel, int c) => c == 0 ? pixel.R : c == 1 ? pixel.G : pixel.B;

    [Fact]
    public void EveryModelCommandTakesAReducer()
    {
        using var vit = TinyModels.Vit(65, DType.F32);
        string image = WriteImage("r.png", 11);
        var (code, output) = Run("classify", "--model", vit.Directory, "--reducer", "crossget:r=3", image);
        Assert.True(code == 0, output);
        var want = Sieve.Models.VitModel.Load(vit.Directory);
        var expected = want.WithReduction(Sieve.Reduction.ModelReduction.Parse("crossget:r=3")).Classify(Sieve.Data.ImageDecoder.Decode(image), 5);
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
