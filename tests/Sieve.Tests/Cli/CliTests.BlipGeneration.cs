using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Models.Generation;
using Sieve.Reduction;
using Sieve.Tests.Support;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve caption</c>, <c>sieve vqa</c> on BLIP and <c>create-random --task</c> end to end on generated BLIP captioning and VQA folders.</summary>
public sealed partial class CliTests
{
    static void StateMaxLength(Dictionary<string, object> config, int maxLength) => ((Dictionary<string, object>)config["text_config"])["max_length"] = maxLength;

    [Fact]
    public void CaptionPrintsTheModelsCaptionsWithThePromptBeamsAndReducer()
    {
        using var ck = TinyBlip.Write(131, architecture: BlipArchitecture.ConditionalGeneration, editConfig: c => StateMaxLength(c, 12));
        string a = WriteImage("ca.png", 12, 48), b = WriteImage("cb.png", 13);
        var model = BlipGenerator.Load(ck.Directory);
        var (code, output) = Run("caption", "--model", ck.Directory, a);
        Assert.True(code == 0, output);
        Assert.Equal(model.Caption(ImageDecoder.Decode(a)) + "\n", CliRun.Of("caption", "--model", ck.Directory, a).Stdout);

        var options = new GenerationOptions(10, 4, 3, 1.2f);
        var run = CliRun.Of("caption", "--model", ck.Directory, a, b, "--prompt", "a photo of", "--beams", "3", "--max-length", "10", "--min-length", "4",
            "--repetition-penalty", "1.2", "--reducer", "tome:r=2");
        Assert.True(run.Code == 0, run.Output);
        var reduced = model.WithReduction(ModelReduction.Parse("tome:r=2"));
        Assert.Equal(string.Join("", new[] { a, b }.Select(f => $"{f}\t{reduced.Caption(ImageDecoder.Decode(f), "a photo of", options)}\n")), run.Stdout);

        run = CliRun.Of("caption", "--model", ck.Directory, a, b, "--json");
        Assert.True(run.Code == 0, run.Output);
        var lines = run.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length); // JSON Lines: one object per image
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal(a, first.GetProperty("image").GetString());
        Assert.Equal(model.Caption(ImageDecoder.Decode(a)), first.GetProperty("caption").GetString());
        Assert.InRange(first.GetProperty("tokens").GetInt32(), 2, 12);
    }

    [Fact]
    public void VqaOnBlipPrintsTheGeneratedAnswer()
    {
        using var ck = TinyBlip.Write(132, new TinyBlip.Shape(TextWidth: 32, TextHeads: 4, TextHidden: 64), architecture: BlipArchitecture.QuestionAnswering,
            editConfig: c => StateMaxLength(c, 8));
        string image = WriteImage("va.png", 14);
        var model = BlipGenerator.Load(ck.Directory).WithReduction(ModelReduction.Parse("vision=tome:r=2;text=tome:r=1"));
        var run = CliRun.Of("vqa", "--model", ck.Directory, "--image", image, "--question", "two cats on the sofa?", "--json", "--reducer", "vision=tome:r=2;text=tome:r=1");
        Assert.True(run.Code == 0, run.Output);
        var row = JsonDocument.Parse(run.Stdout).RootElement[0];
        Assert.Equal("two cats on the sofa?", row.GetProperty("question").GetString());
        Assert.Equal(model.Answer(ImageDecoder.Decode(image), "two cats on the sofa?"), row.GetProperty("answer").GetString());
    }

    [Fact]
    public void CaptionAndVqaInputsABlipCannotTakeAreRefusedInOneLine()
    {
        string image = WriteImage("cr.png", 15);
        using var retrieval = TinyBlip.Write(133);
        Assert.Contains("no text decoder", Refused(CliRun.Of("caption", "--model", retrieval.Directory, image)));
        using var captioning = TinyBlip.Write(134, architecture: BlipArchitecture.ConditionalGeneration, editConfig: c => StateMaxLength(c, 12));
        Assert.Contains("cannot answer questions", Refused(CliRun.Of("vqa", "--model", captioning.Directory, "--image", image, "--question", "what?")));
        Assert.Contains("the prompt has 17 tokens with [DEC]; the text decoder's context is 16 positions",
            Refused(CliRun.Of("caption", "--model", captioning.Directory, image, "--prompt", string.Join(' ', Enumerable.Repeat("cat", 16)))));
        Assert.Contains("--max-length 17 exceeds the text decoder's 16 positions", Refused(CliRun.Of("caption", "--model", captioning.Directory, image, "--max-length", "17")));
        Assert.Contains("text=", Refused(CliRun.Of("caption", "--model", captioning.Directory, image, "--reducer", "text=tome:r=1")));
        Assert.Contains("a BLIP captioning or VQA checkpoint", Refused(CliRun.Of("match", "--model", captioning.Directory, "--image", image, "--text", "a cat")));
        using var vit = TinyModels.Vit(135, Sieve.Weights.DType.F32);
        Assert.Contains("is not a BLIP model", Refused(CliRun.Of("caption", "--model", vit.Directory, image)));
    }

    [Theory]
    [InlineData("caption", BlipArchitecture.ConditionalGeneration)]
    [InlineData("vqa", BlipArchitecture.QuestionAnswering)]
    public void CreateRandomWritesBlipCaptioningAndVqaFoldersInTheirLayouts(string task, BlipArchitecture architecture)
    {
        string dir = Path.Combine(_temp.Path, "random-blip-" + task);
        var (code, output) = Run("create-random", "--family", "blip", "--task", task, "--out", dir);
        Assert.True(code == 0, output);
        var model = BlipGenerator.Load(dir);
        Assert.Equal(architecture, model.Architecture);
        using (var file = Sieve.Weights.CheckpointFiles.Open(dir))
        {
            Assert.True(file.Contains("text_decoder.cls.predictions.bias"));
            Assert.False(file.Contains("vision_proj.weight"));
            Assert.Equal(architecture == BlipArchitecture.QuestionAnswering, file.Contains("text_encoder.encoder.layer.1.crossattention.self.key.weight"));
        }
        string image = WriteImage("rb.png", 16);
        var run = task == "caption"
            ? CliRun.Of("caption", "--model", dir, image, "--max-length", "6")
            : CliRun.Of("vqa", "--model", dir, "--image", image, "--question", "what color is the cat?");
        Assert.True(run.Code == 0, run.Output);
        Assert.Contains("--family blip only", Refused(CliRun.Of("create-random", "--family", "clip", "--task", task, "--out", dir + "-clip")));
    }
}
