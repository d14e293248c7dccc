using System.Text.Json;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve tune</c> end to end on a generated ViT and ImageNet-style folder, and its refusals.</summary>
public sealed partial class CliTests
{
    static readonly string[] TuneTiming = ["--timing-images", "2", "--rounds", "1"];

    [Fact]
    public void TuneReturnsASpecOtherCommandsAcceptWithItsHeldOutRowAndFiles()
    {
        using var vit = TinyModels.Vit(301, DType.F32);
        string data = WriteDataset(), output = Path.Combine(_temp.Path, "tuned");
        var run = Run(["tune", "--model", vit.Directory, "--data", data, "--budget", "agreement>=0.5", "--seed", "3", "--compare", "tome:r=2", "--json", "--out", output, .. TuneTiming]);
        Assert.True(run.Code == 0, run.Output);
        var root = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal(("classify", "agreement>=0.5", 3, 3), (root.GetProperty("task").GetString(), root.GetProperty("budget").GetString(),
            root.GetProperty("calibrationItems").GetInt32(), root.GetProperty("heldOutItems").GetInt32()));
        string reducer = root.GetProperty("reducer").GetString()!;
        Assert.Equal(reducer, ModelReduction.Parse(reducer).ToString());
        var heldOut = root.GetProperty("heldOut").EnumerateArray().ToArray();
        Assert.Equal("none", heldOut[0].GetProperty("reducer").GetString());
        Assert.Equal(1.0, heldOut[0].GetProperty("speedUp").GetDouble());
        Assert.Contains(heldOut, r => r.GetProperty("reducer").GetString() == "tome:r=2");
        Assert.All(heldOut, r => Assert.Equal(3, r.GetProperty("items").GetInt32()));
        if (reducer != "none") Assert.Equal(reducer, heldOut[1].GetProperty("reducer").GetString());
        double agreement = heldOut[reducer == "none" ? 0 : 1].GetProperty("agreement").GetDouble();
        Assert.Equal(agreement >= 0.5, root.GetProperty("heldOutMeets").GetBoolean());
        var candidates = root.GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal("none", candidates[0].GetProperty("reducer").GetString());
        Assert.All(candidates, c => Assert.Equal(c.GetProperty("value").GetDouble() >= 0.5, c.GetProperty("meets").GetBoolean()));
        Assert.All(candidates, c => Assert.InRange(c.GetProperty("agreement").GetDouble(), 0, 1));

        Assert.Equal(JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "tune.json"))).RootElement.GetProperty("reducer").GetString(), reducer);
        Assert.Contains($"`{reducer}`", File.ReadAllText(Path.Combine(output, "tune.md")));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(output, "tune.png"))[..4]);

        // The spec works as --reducer elsewhere.
        var eval = Run(["eval", "--model", vit.Directory, "--data", data, "--reducer", reducer, "--json", .. TuneTiming]);
        Assert.True(eval.Code == 0, eval.Output);

        // The table: the Pareto front, the chosen value on its own line, the held-out verdict.
        var table = Run(["tune", "--model", vit.Directory, "--data", data, "--budget", "agreement>=0.5", "--seed", "3", .. TuneTiming]);
        Assert.True(table.Code == 0, table.Output);
        Assert.Contains("Pareto front on the calibration split (3 images)", table.Stdout);
        // Timing may choose another spec than the JSON run did among candidates of similar speed.
        string chosen = System.Text.RegularExpressions.Regex.Match(table.Stdout, @"(?m)^chosen: --reducer (\S+)$").Groups[1].Value;
        Assert.Equal(chosen, ModelReduction.Parse(chosen).ToString());
        Assert.Contains($"held-out: {chosen} has agreement", table.Stdout);
        Assert.Contains("search:", table.Stderr);
    }

    [Fact]
    public void TuneRefusesBadInputWithOneLine()
    {
        using var vit = TinyModels.Vit(302, DType.F32);
        string data = WriteDataset(), empty = Path.Combine(_temp.Path, "empty");
        Directory.CreateDirectory(empty);
        string[] common = ["tune", "--model", vit.Directory, .. TuneTiming];

        static void Refuses(string expected, params string[] args) => Assert.Contains(expected, Refused(CliRun.Of(args)));

        Refuses("budget 'agreement=>0.9': agreement is bounded with >=, not =>", [.. common, "--data", data, "--budget", "agreement=>0.9"]);
        Refuses("budget 'fast' does not parse", [.. common, "--data", data, "--budget", "fast"]);
        Refuses("budget 'drop<=1' needs labels, but --task embedding reports no labelled score", [.. common, "--task", "embedding", "--data", data, "--budget", "drop<=1"]);
        Refuses("budget 'cosine>=0.9' needs embeddings, but --task classify compares answers", [.. common, "--data", data, "--budget", "cosine>=0.9"]);
        Refuses(empty, [.. common, "--data", empty, "--budget", "agreement>=0.9"]);
        Refuses("is inside", [.. common, "--data", data, "--budget", "agreement>=0.9", "--out", Path.Combine(data, "tuned")]);
        Refuses("--holdout 1.5: the held-out share must be in (0, 1)", [.. common, "--data", data, "--budget", "agreement>=0.9", "--holdout", "1.5"]);
        Refuses("--time-budget '10 minutes': expected a positive duration such as 90s, 10m or 1h", [.. common, "--data", data, "--budget", "agreement>=0.9", "--time-budget", "10 minutes"]);
        Refuses("pumer prunes image tokens by the text's attention and applies to fusion models (ViLT) only", [.. common, "--data", data, "--budget", "agreement>=0.9", "--methods", "tome,pumer"]);
        Refuses("a compute target needs calibration", [.. common, "--data", data, "--budget", "agreement>=0.9", "--compare", "madtp:target=0.5"]);
        Refuses("Option '--budget' is required", [.. common, "--data", data]);
        Assert.False(Directory.Exists(Path.Combine(data, "tuned")));
    }
}
