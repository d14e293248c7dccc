using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve match</c>, <c>sieve embed</c> and <c>sieve create-random</c> end to end on a generated BLIP.</summary>
public sealed partial class CliTests
{
    [Fact]
    public void MatchOnBlipPrintsTheMatchProbabilityAndTheContrastiveScore()
    {
        using var ck = TinyBlip.Write(121);
        string image = WriteImage("b.png", 8, 48);
        var (code, output) = Run("match", "--model", ck.Directory, "--image", image, "--text", "a photo of a cat");
        Assert.True(code == 0, output);
        var want = BlipModel.Load(ck.Directory).Match(ImageDecoder.Decode(image), "a photo of a cat");
        Assert.Contains($"{want.MatchProbability:P2}", output);
        Assert.Contains($"{want.ContrastiveScore:F4}", output);
        Assert.Contains("itm_head", output);

        string texts = Path.Combine(_temp.Path, "blip-texts.txt");
        File.WriteAllLines(texts, ["a cat", "two dogs on the sofa"]);
        (code, output) = Run("match", "--model", ck.Directory, "--image", image, "--texts", texts, "--json", "--reducer", "tome:r=2");
        Assert.True(code == 0, output);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToArray();
        Assert.Equal(["a cat", "two dogs on the sofa"], rows.Select(r => r.GetProperty("text").GetString()));
        var reduced = BlipModel.Load(ck.Directory).WithReduction(ModelReduction.Parse("tome:r=2")).Match(ImageDecoder.Decode(image), "two dogs on the sofa");
        Assert.Equal(reduced.MatchProbability, rows[1].GetProperty("probability").GetSingle());
        Assert.Equal(reduced.ContrastiveScore, rows[1].GetProperty("contrastive").GetSingle());
    }

    [Fact]
    public void EmbedOnBlipWritesTheContrastiveImageAndTextEmbeddings()
    {
        using var ck = TinyBlip.Write(122);
        var model = BlipModel.Load(ck.Directory);
        string image = WriteImage("be.png", 9);
        string images = Path.Combine(_temp.Path, "blip-images.json");
        var (code, output) = Run("embed", "--model", ck.Directory, "--images", image, "--out", images);
        Assert.True(code == 0, output);
        var row = JsonDocument.Parse(File.ReadAllText(images)).RootElement[0];
        Assert.Equal(model.EncodeImage(ImageDecoder.Decode(image)), row.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()));

        string texts = Path.Combine(_temp.Path, "blip-embed-texts.txt"), textOut = Path.Combine(_temp.Path, "blip-texts.json");
        File.WriteAllLines(texts, ["a dog playing"]);
        (code, output) = Run("embed", "--model", ck.Directory, "--texts", texts, "--out", textOut);
        Assert.True(code == 0, output);
        row = JsonDocument.Parse(File.ReadAllText(textOut)).RootElement[0];
        Assert.Equal(model.EncodeText("a dog playing"), row.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()));
    }

    [Fact]
    public void BlipInputsTheModelCannotTakeAreRefusedInOneLine()
    {
        string image = WriteImage("br.png", 10);
        using (var missing = TinyBlip.Write(123, skip: "text_encoder.encoder.layer.0.crossattention.output.LayerNorm.weight"))
            Assert.Contains("text_encoder.encoder.layer.0.crossattention.output.LayerNorm.weight",
                Refused(CliRun.Of("match", "--model", missing.Directory, "--image", image, "--text", "a cat")));
        using var ck = TinyBlip.Write(124);
        Assert.Contains("the text has 17 tokens, more than the model's 16 (max_position_embeddings)",
            Refused(CliRun.Of("match", "--model", ck.Directory, "--image", image, "--text", string.Join(' ', Enumerable.Repeat("cat", 15)))));
        string texts = Path.Combine(_temp.Path, "blip-long.txt");
        File.WriteAllLines(texts, [string.Join(' ', Enumerable.Repeat("dog", 15))]);
        Assert.Contains("more than the model's 16", Refused(CliRun.Of("embed", "--model", ck.Directory, "--texts", texts, "--out", Path.Combine(_temp.Path, "never.json"))));
        Assert.False(File.Exists(Path.Combine(_temp.Path, "never.json")));
        Assert.Contains("is a BLIP model; use `sieve match` or `sieve embed`", Refused(CliRun.Of("classify", "--model", ck.Directory, image)));
        // A question on a retrieval-only BLIP: no decoder to answer with.
        Assert.Contains("no text decoder", Refused(CliRun.Of("vqa", "--model", ck.Directory, "--image", image, "--question", "what?")));
    }

    [Fact]
    public void CreateRandomWritesABlipThatMatchRuns()
    {
        string dir = Path.Combine(_temp.Path, "random-blip");
        var (code, output) = Run("create-random", "--family", "blip", "--out", dir);
        Assert.True(code == 0, output);
        Assert.Equal(ModelFamily.Blip, ModelFolder.Detect(dir));
        var model = BlipModel.Load(dir);
        Assert.Equal(model.Tokenizer.VocabSize, model.Config.VocabSize);
        Assert.Equal([model.Tokenizer.VocabSize - 1, model.Tokenizer.VocabSize - 2], model.Tokenize("[ENC][DEC]").Ids[1..3]);
        (code, output) = Run("match", "--model", dir, "--image", WriteImage("cr.png", 11), "--text", "a photo of a cat", "--json");
        Assert.True(code == 0, output);
        Assert.InRange(JsonDocument.Parse(output).RootElement[0].GetProperty("probability").GetSingle(), 0f, 1f);
    }

    [Fact]
    public void EvalRetrievalRanksBlipByItsContrastiveScore()
    {
        using var ck = TinyBlip.Write(124);
        string[] captions = ["a cat", "a photo of a cat", "two dogs", "the dog on the sofa", "a photo", "the sofa"];
        string json = WriteCaptions(3, captions);
        var run = CliRun.Of(["eval", "--task", "retrieval", "--model", ck.Directory, "--data", json, "--reducer", "none", "--reducer", "vision=tome:r=2", .. FastTiming]);
        Assert.True(run.Code == 0, run.Output);
        var rows = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["none", "none", "vision=tome:r=2"], rows.Select(r => r.GetProperty("reducer").GetString()));
        Assert.Equal(1.0, rows[1].GetProperty("agreement").GetDouble());
        Assert.True(rows[2].GetProperty("gMacs").GetDouble() < rows[0].GetProperty("gMacs").GetDouble());

        // Independent ranking: each text's best image by the cosine of BLIP's contrastive embeddings, ties to the lower index.
        var blip = BlipModel.Load(ck.Directory);
        var images = Enumerable.Range(0, 3).Select(i => blip.EncodeImage(ImageDecoder.Decode(Path.Combine(Path.GetDirectoryName(json)!, "..", "val2017", $"{i:D12}.png")))).ToArray();
        var texts = captions.Select(blip.EncodeText).ToArray();
        double textR1 = Enumerable.Range(0, 6).Count(t => Enumerable.Range(0, 3).OrderByDescending(i => Ref64.Cosine(images[i], texts[t])).ThenBy(i => i).First() == t / 2) / 6.0;
        Assert.Equal(100 * textR1, Metric(rows[0], "t2iR1"), 1e-9);
    }
}
