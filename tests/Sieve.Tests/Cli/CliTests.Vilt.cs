using System.Text.Json;
using Sieve.Cli;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve vqa</c> and <c>sieve match</c> end to end on a generated ViLT.</summary>
public sealed partial class CliTests
{
    [Fact]
    public void VqaPrintsTopAnswersWithScores()
    {
        using var ck = TinyVilt.Write(111);
        string image = WriteImage("v.png", 4, 48);
        var (code, output) = Run("vqa", "--model", ck.Directory, "--image", image, "--question", "What is the cat?", "--top", "3");
        Assert.True(code == 0, output);
        var best = ViltModel.Load(ck.Directory).Answer(ImageDecoder.Decode(image), "What is the cat?", 3);
        Assert.Contains($"{image}: What is the cat?", output);
        Assert.Contains(best[0].Label, output);
        Assert.Contains($"{best[2].Probability:P2}", output);
        Assert.Contains("sigmoid", output);
    }

    [Fact]
    public void VqaAnswersEveryQuestionOfAFileAboutEveryImageOfAFolderAsJson()
    {
        using var ck = TinyVilt.Write(112);
        string folder = Path.Combine(_temp.Path, "vqa-images");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < 2; i++) File.Move(WriteImage($"q{i}.png", 20 + i, 40 + 8 * i), Path.Combine(folder, $"{i}.png"));
        string questions = Path.Combine(_temp.Path, "questions.txt");
        File.WriteAllLines(questions, ["what is the dog?", "", "what is the color of the cat on the sofa of the dog?"]);
        var (code, output) = Run("vqa", "--model", ck.Directory, "--image", folder, "--questions", questions, "--json", "--reducer", "tome:r=2");
        Assert.True(code == 0, output);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToArray();
        Assert.Equal(4, rows.Length);
        Assert.Equal(["what is the dog?", "what is the color of the cat on the sofa of the dog?"], rows.Take(2).Select(r => r.GetProperty("question").GetString()));
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("warning").ValueKind);
        Assert.Contains("its last 4 were dropped", rows[1].GetProperty("warning").GetString());

        var model = ViltModel.Load(ck.Directory);
        var want = model.WithReduction(ModelReduction.Parse("tome:r=2")).Answer(ImageDecoder.Decode(Path.Combine(folder, "1.png")), "what is the dog?", 5);
        var got = rows[2].GetProperty("answers").EnumerateArray().ToArray();
        Assert.Equal(5, got.Length);
        Assert.Equal(want.Select(p => p.Label), got.Select(a => a.GetProperty("answer").GetString()));
        Assert.Equal(want[0].Probability, got[0].GetProperty("score").GetSingle());
    }

    [Fact]
    public void MatchPrintsTheScoreOfEveryPair()
    {
        using var ck = TinyVilt.Write(113, new TinyVilt.Shape(Answers: 0));
        string image = WriteImage("m.png", 5, 40);
        var (code, output) = Run("match", "--model", ck.Directory, "--image", image, "--text", "a cat on a sofa");
        Assert.True(code == 0, output);
        float score = ViltModel.Load(ck.Directory).MatchScore(ImageDecoder.Decode(image), "a cat on a sofa");
        Assert.Contains($"{score:F4}", output);

        string texts = Path.Combine(_temp.Path, "texts.txt");
        File.WriteAllLines(texts, ["a cat", "a dog"]);
        (code, output) = Run("match", "--model", ck.Directory, "--image", image, "--texts", texts, "--json");
        Assert.True(code == 0, output);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToArray();
        Assert.Equal(["a cat", "a dog"], rows.Select(r => r.GetProperty("text").GetString()));
        Assert.Equal(ViltModel.Load(ck.Directory).MatchScore(ImageDecoder.Decode(image), "a dog"), rows[1].GetProperty("score").GetSingle());
    }

    [Fact]
    public void ViltCommandsRefuseWhatTheyCannotRun()
    {
        using var vqaOnly = TinyVilt.Write(114, new TinyVilt.Shape(Match: false));
        string image = WriteImage("e.png", 6);
        var (code, output) = Run("match", "--model", vqaOnly.Directory, "--image", image, "--text", "a cat");
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("no image–text matching head (rank_output)", output);

        using var matchOnly = TinyVilt.Write(115, new TinyVilt.Shape(Answers: 0));
        (code, output) = Run("vqa", "--model", matchOnly.Directory, "--image", image, "--question", "what?");
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("no VQA head (classifier.*)", output);

        using var noVocab = TinyVilt.Write(116, new TinyVilt.Shape(VocabFile: false));
        (code, output) = Run("vqa", "--model", noVocab.Directory, "--image", image, "--question", "what?");
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("no vocab.txt", output);

        (code, output) = Run("vqa", "--model", vqaOnly.Directory, "--image", image);
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("give exactly one of --question or --questions", output);

        using var vit = TinyModels.Vit(117, Sieve.Weights.DType.F32);
        (code, output) = Run("vqa", "--model", vit.Directory, "--image", image, "--question", "what?");
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("is not a ViLT model", output);
        (code, output) = Run("classify", "--model", vqaOnly.Directory, image);
        Assert.Contains("is a ViLT model; use `sieve vqa` or `sieve match`", output);
    }

    [Fact]
    public void VqaPrintsTheTruncationWarning()
    {
        using var ck = TinyVilt.Write(118);
        var (code, output) = Run("vqa", "--model", ck.Directory, "--image", WriteImage("w.png", 7), "--question", "what is the color of the cat on the sofa of the dog?");
        Assert.True(code == 0, output);
        Assert.Contains("warning: 'what is the color of the cat on the sofa of the dog?': the text has 16 tokens, more than the model's 12; its last 4 were dropped", output);
    }
}
