using System.Text.Json;
using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Tests.Support;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve eval --task caption</c>: BLIP captioning scored by CIDEr-D and BLEU-4, dense and reduced.</summary>
public sealed partial class CliTests
{
    static TinyCheckpoint TinyCaptioner(int seed) => TinyBlip.Write(seed, architecture: BlipArchitecture.ConditionalGeneration,
        editConfig: c => ((Dictionary<string, object>)c["text_config"])["max_length"] = 9);

    [Fact]
    public void EvalCaptionScoresTheModelsOwnCaptionsAgainstTheReferences()
    {
        using var ck = TinyCaptioner(127);
        string[] references = ["a cat on the sofa", "a photo of a cat", "two dogs", "the dog on the sofa", "a photo", "two cats play"];
        string json = WriteCaptions(3, references);

        var run = CliRun.Of(["eval", "--task", "caption", "--model", ck.Directory, "--data", json, "--prompt", "a photo of",
            "--reducer", "vision=tome:r=3", .. FastTiming]);

        Assert.True(run.Code == 0, run.Output);
        var rows = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["none", "vision=tome:r=3"], rows.Select(r => r.GetProperty("reducer").GetString()));
        Assert.Equal(100, Metric(rows[0], "sameCaption"));
        Assert.True(rows[1].GetProperty("gMacs").GetDouble() < rows[0].GetProperty("gMacs").GetDouble());

        // The same captions from the library, one image at a time, scored against each image's two references.
        var blip = BlipGenerator.Load(ck.Directory);
        var captions = Enumerable.Range(0, 3).Select(i => blip.Caption(ImageDecoder.Decode(Path.Combine(Path.GetDirectoryName(json)!, "..", "val2017", $"{i:D12}.png")), "a photo of")).ToArray();
        Assert.All(captions, c => Assert.StartsWith("a photo of", c));
        var perImage = Enumerable.Range(0, 3).Select(i => (IReadOnlyList<string>)references[(2 * i)..(2 * i + 2)]).ToArray();
        Assert.Equal(100 * CaptionMetrics.CiderD(captions, perImage).CiderD, Metric(rows[0], "ciderD"), 1e-9);
        Assert.Equal(100 * CaptionMetrics.Bleu4(captions, perImage).Bleu4, Metric(rows[0], "bleu4"), 1e-9);
        Assert.Equal(Metric(rows[0], "ciderD"), rows[0].GetProperty("score").GetDouble(), 1e-9);
    }

    [Fact]
    public void EvalCaptionRefusesAModelThatCannotCaption()
    {
        using var retrieval = TinyBlip.Write(128);
        string json = WriteCaptions(2, ["a cat", "a dog", "two dogs", "a sofa"]);
        var run = CliRun.Of("eval", "--task", "caption", "--model", retrieval.Directory, "--data", json);
        Assert.Equal(2, run.Code);
        Assert.Contains("cannot caption", run.Stderr);
        Assert.Single(run.Stderr.Trim().Split('\n'));
    }
}
