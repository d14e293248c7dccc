using System.Security.Cryptography;
using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>create-random</c>: a tiny model of each family that every command runs on, without the Hub.</summary>
public sealed partial class CliTests
{
    string CreateRandom(string family, int seed = 0)
    {
        string dir = Path.Combine(_temp.Path, $"random-{family}-{seed}");
        var (code, output) = Run("create-random", "--family", family, "--size", "tiny", "--out", dir, "--seed", seed.ToString());
        Assert.True(code == 0, output);
        Assert.Equal(Path.GetFullPath(dir), output.Trim());
        return dir;
    }

    [Fact]
    public void CreateRandomWritesATinyViTThatClassifiesEmbedsAndExports()
    {
        string dir = CreateRandom("vit");
        Assert.Equal(ModelFamily.Vit, ModelFolder.Detect(dir));
        using (var file = SafetensorsFile.Open(Path.Combine(dir, "model.safetensors")))
            Assert.Equal([576, 192], file.Tensors["blocks.11.attn.qkv.weight"].Shape.ToArray()); // timm's ViT-Ti/16 layout
        string image = WriteImage("rv.png", 3);
        var (code, output) = Run("classify", "--model", dir, "--top", "3", image);
        Assert.True(code == 0, output);
        Assert.Contains("class ", output);
        string embeddings = Path.Combine(_temp.Path, "rv.json");
        Assert.Equal(0, Run("embed", "--model", dir, "--images", image, "--out", embeddings).Code);
        Assert.Equal(0, Run("export-onnx", "--model", dir, "--out", Path.Combine(_temp.Path, "rv.onnx")).Code);
    }

    [Fact]
    public void CreateRandomWritesATinyClipForZeroShotAndTextAndImageEmbeddings()
    {
        string dir = CreateRandom("clip");
        // The generated vocabulary spells any text: its words in one token, anything else a byte at a time.
        var tokenizer = ClipTokenizer.FromDirectory(dir);
        Assert.Equal(3, tokenizer.Encode("cats").Length);
        Assert.Equal("zebra über", tokenizer.Decode(tokenizer.Encode("Zebra über")).Trim());
        string image = WriteImage("rc.png", 4);
        var (code, output) = Run("zeroshot", "--model", dir, "--labels", "cat,dog,car", image);
        Assert.True(code == 0, output);
        Assert.Contains("dog", output);
        string texts = Path.Combine(_temp.Path, "captions.txt");
        File.WriteAllLines(texts, ["a photo of a cat", "two dogs on a sofa!"]);
        string textOut = Path.Combine(_temp.Path, "texts.json"), imageOut = Path.Combine(_temp.Path, "images.json");
        Assert.Equal(0, Run("embed", "--model", dir, "--texts", texts, "--out", textOut).Code);
        Assert.Equal(0, Run("embed", "--model", dir, "--images", image, "--out", imageOut).Code);
        var embedded = JsonDocument.Parse(File.ReadAllText(textOut)).RootElement.EnumerateArray().ToList();
        Assert.Equal(["a photo of a cat", "two dogs on a sofa!"], embedded.Select(e => e.GetProperty("name").GetString()));
        Assert.All(embedded, e => Assert.Equal(64, e.GetProperty("embedding").GetArrayLength()));
        // The folder holds exactly the model CreateRandom builds with the same seed.
        var loaded = ClipModel.Load(dir);
        var pixels = new RgbImage(2, 2, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
        Assert.Equal(ClipModel.CreateRandom(loaded.Config).EncodeImage(pixels), loaded.EncodeImage(pixels));
    }

    [Fact]
    public void CreateRandomWritesATinyViltForVqaAndMatching()
    {
        string dir = CreateRandom("vilt", seed: 5);
        string image = WriteImage("rl.png", 5, size: 64);
        var (code, output) = Run("vqa", "--model", dir, "--image", image, "--question", "How many cats are there?", "--json");
        Assert.True(code == 0, output);
        var answers = JsonDocument.Parse(output).RootElement.EnumerateArray().First().GetProperty("answers").EnumerateArray().ToList();
        Assert.Equal(5, answers.Count);
        (code, output) = Run("match", "--model", dir, "--image", image, "--text", "two dogs on a sofa", "--json");
        Assert.True(code == 0, output);
        var loaded = ViltModel.Load(dir);
        Assert.Contains("yes", loaded.Answers);
        var input = loaded.Prepare(new RgbImage(40, 40, new byte[40 * 40 * 3]), "what color is the cat?");
        Assert.DoesNotContain(loaded.Tokenizer.Unknown, input.Ids);
        Assert.Equal(ViltModel.CreateRandom(loaded.Config, seed: 5, loaded.Answers.Count).AnswerLogits(input), loaded.AnswerLogits(input));
    }

    [Fact]
    public void CreateRandomNeverWritesIntoAFolderThatHasFiles()
    {
        string dir = Path.Combine(_temp.Path, "taken");
        Directory.CreateDirectory(dir);
        string kept = Path.Combine(dir, "notes.txt");
        File.WriteAllText(kept, "mine");
        var (code, output) = Run("create-random", "--family", "clip", "--out", dir);
        Assert.Equal(2, code);
        Assert.Contains("already exists and is not an empty folder", output);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
        Assert.Equal("mine", File.ReadAllText(kept));
        Assert.Equal(2, Run("create-random", "--family", "vit", "--out", kept).Code); // a file is not a folder either
        Assert.Equal("mine", File.ReadAllText(kept));
        // An empty folder is fine.
        string empty = Path.Combine(_temp.Path, "empty");
        Directory.CreateDirectory(empty);
        Assert.Equal(0, Run("create-random", "--family", "vilt", "--out", empty).Code);
    }
}
