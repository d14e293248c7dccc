using System.Text.Json;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>fit-guidance end to end, and the guidance it writes used (or refused) by the other commands.</summary>
public sealed partial class CliTests
{
    [Fact]
    public void FitGuidanceWritesCrossTokenOffsetsThatEvalUsesAndAnotherModelRefuses()
    {
        using var vit = TinyModels.Vit(71, DType.F32);
        using var other = TinyModels.Vit(72, DType.F32);
        string data = WriteDataset(), guide = Path.Combine(_temp.Path, "guide.safetensors");
        var (code, output) = Run("fit-guidance", "--model", vit.Directory, "--method", "crossget", "--data", data, "--reducer", "crossget:r=3",
            "--epochs", "2", "--lr", "0.02", "--batch", "2", "--out", guide);
        Assert.True(code == 0, output);
        Assert.Contains("held-out loss", output);
        Assert.Contains("epoch 2/2, loss", output);
        var guidance = ReductionGuidance.Load(guide, vit.Directory);
        Assert.Equal(("crossget:r=3", "2", Path.GetFileName(vit.Directory)), (guidance.Metadata["reducer"], guidance.Metadata["epochs"], guidance.Metadata["model"]));

        (code, output) = Run("eval", "--model", vit.Directory, "--data", data, "--reducer", "crossget:r=3", "--guidance", guide, "--json");
        Assert.True(code == 0, output);
        var rows = JsonDocument.Parse(output).RootElement.GetProperty("results");
        Assert.Equal(6, rows[1].GetProperty("items").GetInt32());

        (code, output) = Run("classify", "--model", other.Directory, "--reducer", "crossget:r=3", "--guidance", guide, WriteImage("f.png", 3));
        Assert.Equal(2, code);
        Assert.Contains($"fitted for model '{Path.GetFileName(vit.Directory)}'", output);
        Assert.Contains("fit guidance for it with sieve fit-guidance", output);
    }

    [Fact]
    public void FitGuidanceFitsBothMethodsOnCaptionPairsForClip()
    {
        using var clip = TinyModels.Clip(73, DType.F32);
        TinyClipVocab.WriteTo(clip.Directory);
        // COCO's layout: annotations/captions_val2017.json with the images in val2017/.
        string root = Path.Combine(_temp.Path, "coco"), images = Path.Combine(root, "val2017"), annotations = Path.Combine(root, "annotations");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(annotations);
        for (int i = 0; i < 4; i++) File.Move(WriteImage($"c{i}.png", 20 + i), Path.Combine(images, $"{i:D12}.png"));
        string captions = Path.Combine(annotations, "captions_val2017.json");
        File.WriteAllText(captions, JsonSerializer.Serialize(new
        {
            images = Enumerable.Range(0, 4).Select(i => new { id = i, file_name = $"{i:D12}.png" }),
            annotations = Enumerable.Range(0, 8).Select(i => new { image_id = i % 4, id = i, caption = i % 2 == 0 ? "a cat" : "a dog" }),
        }));

        string madtp = Path.Combine(_temp.Path, "madtp.safetensors");
        var (code, output) = Run("fit-guidance", "--model", clip.Directory, "--method", "madtp", "--data", captions, "--tokens", "5", "--epochs", "1", "--out", madtp);
        Assert.True(code == 0, output);
        Assert.Equal(5, ReductionGuidance.Load(madtp, clip.Directory).MagTokens!.Count);

        string crossget = Path.Combine(_temp.Path, "crossget.safetensors");
        (code, output) = Run("fit-guidance", "--model", clip.Directory, "--method", "crossget", "--data", captions, "--reducer", "crossget:r=2", "--epochs", "1", "--out", crossget);
        Assert.True(code == 0, output);
        (code, output) = Run("zeroshot", "--model", clip.Directory, "--labels", "cat,dog", "--template", "a {}", "--reducer", "crossget:r=2", "--guidance", crossget, WriteImage("z.png", 30));
        Assert.True(code == 0, output);
    }

    [Fact]
    public void FitGuidanceRefusesWhatCannotBeFitted()
    {
        using var vit = TinyModels.Vit(74, DType.F32);
        string data = WriteDataset(), guide = Path.Combine(_temp.Path, "never.safetensors");
        var (code, output) = Run("fit-guidance", "--model", vit.Directory, "--method", "madtp", "--data", data, "--out", guide);
        Assert.Equal(2, code);
        Assert.Contains("is a classifier with no text tower (fit --method crossget for it)", output);
        (code, output) = Run("fit-guidance", "--model", vit.Directory, "--method", "crossget", "--data", data, "--reducer", "tome:r=2", "--out", guide);
        Assert.Equal(2, code);
        Assert.Contains("needs a crossget reducer on the vision tower", output);
        Assert.Contains("--epochs must be at least 1", Run("fit-guidance", "--model", vit.Directory, "--method", "crossget", "--data", data, "--epochs", "0", "--out", guide).Output);
        Assert.False(File.Exists(guide));
    }
}
