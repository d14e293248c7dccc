using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>
/// <c>--precision int8</c> on zeroshot, match, vqa, caption, visualize, sweep, tune and fit-guidance: the int8 model is
/// the one that runs (its numbers differ from float32's) and it stays close to float32, with a reducer on.
/// </summary>
public sealed partial class CliTests
{
    /// <summary>How far an int8 score of the tiny models may be from float32's: their scores are O(0.1–1), int8's relative error about 1%.</summary>
    const double Int8Tolerance = 0.02;

    [Fact]
    public void ZeroShotMatchAndVqaWithInt8ScoreWithTheInt8ModelCloseToFloat32()
    {
        using var clip = TinyModels.Clip(401, DType.F32);
        TinyClipVocab.WriteTo(clip.Directory);
        using var vilt = TinyVilt.Write(402);
        using var blip = TinyBlip.Write(403);
        string image = WriteImage("pe.png", 40, 48);

        var zeroShot = Both(json => json.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("probability").GetDouble()),
            "zeroshot", "-m", clip.Directory, "--labels", "cat,dog,car", "--template", "a {}", "--reducer", "crossget:r=2", "--json", image);
        AssertInt8Close(zeroShot);
        var clip8 = ClipModel.Load(clip.Directory, Precision.Int8).WithReduction(ModelReduction.Parse("crossget:r=2"));
        var want = clip8.ZeroShot(["cat", "dog", "car"], ["a {}"]).Classify(ImageDecoder.Decode(image), 3);
        Assert.Equal(want.Select(p => p.Probability).Order(), zeroShot.Int8.Select(v => (float)v).Order());

        AssertInt8Close(Both(json => json.EnumerateArray().Select(row => row.GetProperty("score").GetDouble()),
            "match", "-m", vilt.Directory, "--image", image, "--text", "a cat", "--reducer", "tome:r=2", "--json"));
        AssertInt8Close(Both(json => json.EnumerateArray().SelectMany(row => new[] { row.GetProperty("probability").GetDouble(), row.GetProperty("contrastive").GetDouble() }),
            "match", "-m", blip.Directory, "--image", image, "--text", "a cat", "--reducer", "tome:r=2", "--json"));
        AssertInt8Close(Both(json => json.EnumerateArray().SelectMany(row => row.GetProperty("answers").EnumerateArray().Select(a => a.GetProperty("score").GetDouble())),
            "vqa", "-m", vilt.Directory, "--image", image, "--question", "what is it?", "--reducer", "pumer:layers=1", "--json"));
    }

    [Fact]
    public void CaptionAndBlipVqaWithInt8PrintTheInt8ModelsTexts()
    {
        // The tiny BLIPs' greedy texts do not change in int8 (none of 16 images did), so this checks the int8 run, not that it differs.
        using var captioner = TinyBlip.Write(404, architecture: BlipArchitecture.ConditionalGeneration, editConfig: c => StateMaxLength(c, 12));
        using var answerer = TinyBlip.Write(405, new TinyBlip.Shape(TextWidth: 32, TextHeads: 4, TextHidden: 64), architecture: BlipArchitecture.QuestionAnswering,
            editConfig: c => StateMaxLength(c, 12));
        string image = WriteImage("pc.png", 50, 48);
        var run = CliRun.Of("caption", "-m", captioner.Directory, "--precision", "int8", "--reducer", "tome:r=2", image);
        Assert.True(run.Code == 0, run.Output);
        var captions = BlipGenerator.Load(captioner.Directory, Precision.Int8).WithReduction(ModelReduction.Parse("tome:r=2"));
        Assert.Equal(captions.Caption(ImageDecoder.Decode(image)) + "\n", run.Stdout);

        run = CliRun.Of("vqa", "-m", answerer.Directory, "--precision", "int8", "--question", "what is it?", "--json", "--image", image);
        Assert.True(run.Code == 0, run.Output);
        var answers = BlipGenerator.Load(answerer.Directory, Precision.Int8);
        Assert.Equal(answers.Answer(ImageDecoder.Decode(image), "what is it?"), JsonDocument.Parse(run.Stdout).RootElement[0].GetProperty("answer").GetString());
    }

    [Fact]
    public void SweepTuneVisualizeAndFitGuidanceRunTheInt8Model()
    {
        using var vit = TinyModels.Vit(406, DType.F32);
        string data = WriteDataset(), image = WriteImage("pv.png", 60, 48);

        // sweep and tune hand --precision to the task (which takes int8 for classify only).
        string sweep = Path.Combine(_temp.Path, "sweep8");
        var (code, output) = Run("sweep", "-m", vit.Directory, "-d", data, "--methods", "tome", "--r", "2", "--precision", "int8", "--rounds", "1", "--timing-images", "1", "--out", sweep);
        Assert.True(code == 0, output);
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(sweep, "sweep.json"))).RootElement;
        Assert.Equal("int8", report.GetProperty("precision").GetString());
        Assert.Equal(2, report.GetProperty("results").GetArrayLength());
        string[] tune = ["tune", "-m", vit.Directory, "-d", data, "--budget", "agreement>=0.5", "--methods", "tome", "--precision", "int8", "--timing-images", "1", "--rounds", "1", "--json"];
        (code, output) = Run(tune);
        Assert.True(code == 0, output);
        Assert.Contains("--precision int8 applies to --task classify only, not embedding",
            Refused(Run([.. tune.Select(a => a == "agreement>=0.5" ? "cosine>=0.5" : a), "--task", "embedding"])));

        // visualize draws the int8 model's merges.
        string png = Path.Combine(_temp.Path, "v8.png");
        (code, output) = Run("visualize", "-m", vit.Directory, "-r", "tome:r=3", "--precision", "int8", "--out", png, image);
        Assert.True(code == 0, output);
        var picture = Sieve.Cli.Commands.MergeMapPicture.Draw(VitModel.Load(vit.Directory, Precision.Int8), ReducerSpec.Parse("tome:r=3"), null, ImageDecoder.Decode(image),
            Sieve.Cli.Commands.MergeMapPicture.DefaultLayers(VitModel.Load(vit.Directory).Towers[0].Info.Layers));
        Assert.Equal(picture, File.ReadAllBytes(png));

        // fit-guidance fits the cross tokens through the int8 backbone: other offsets than float32's, and close to them.
        double[] Offsets(string precision)
        {
            string guide = Path.Combine(_temp.Path, $"fit-{precision}.safetensors");
            var (fitCode, fitOutput) = Run("fit-guidance", "-m", vit.Directory, "--method", "crossget", "-r", "crossget:r=2", "-d", data, "--epochs", "1", "--precision", precision, "--out", guide);
            Assert.True(fitCode == 0, fitOutput);
            var guidance = ReductionGuidance.Load(guide, vit.Directory);
            Assert.Equal(precision, guidance.Metadata["precision"]);
            return [.. guidance.CrossTokenOffsets(VitModel.Load(vit.Directory).Towers[0].Info)!.Select(v => (double)v)];
        }
        AssertInt8Close((Offsets("fp32"), Offsets("int8")));
    }

    /// <summary>The numbers <paramref name="numbers"/> reads from the JSON the command prints, in float32 (the default) and with <c>--precision int8</c>.</summary>
    static (double[] Float32, double[] Int8) Both(Func<JsonElement, IEnumerable<double>> numbers, params string[] args)
    {
        double[] Read(string[] line)
        {
            var run = CliRun.Of(line);
            Assert.True(run.Code == 0, run.Output);
            return [.. numbers(JsonDocument.Parse(run.Stdout).RootElement)];
        }
        return (Read(args), Read([.. args, "--precision", "int8"]));
    }

    /// <summary>int8 ran (not bit-identical to float32) and stays within <see cref="Int8Tolerance"/> of it.</summary>
    static void AssertInt8Close((double[] Float32, double[] Int8) both)
    {
        Assert.Equal(both.Float32.Length, both.Int8.Length);
        Assert.NotEmpty(both.Float32);
        Assert.NotEqual(both.Float32, both.Int8);
        for (int i = 0; i < both.Float32.Length; i++)
            Assert.True(Math.Abs(both.Float32[i] - both.Int8[i]) <= Int8Tolerance, $"value {i}: float32 {both.Float32[i]}, int8 {both.Int8[i]}");
    }
}
