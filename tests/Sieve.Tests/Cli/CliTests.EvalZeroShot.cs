using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve eval --task zeroshot</c> end to end on a generated CLIP and an ImageNet-style folder.</summary>
public sealed partial class CliTests
{
    static readonly string[] ZeroShotNames = ["cat", "dog", "bird", "fish", "horse", "cow", "sheep"];
    static readonly string[] ZeroShotTemplates = ["a photo of a {}.", "a drawing of the {}."];

    /// <summary>
    /// Eight generated images named WNID_k.png and a classes.json with wnids, <paramref name="names"/> and the two
    /// templates; <paramref name="wnidOf"/> picks each image's class from its decoded pixels.
    /// </summary>
    string WriteZeroShotFolder(Func<RgbImage, int> wnidOf, string[]? names = null, int wnids = 7)
    {
        string dir = Path.Combine(_temp.Path, "zeroshot");
        Directory.CreateDirectory(dir);
        for (int i = 0; i < 8; i++)
        {
            string file = WriteImage($"z{i}.png", 200 + i);
            File.Move(file, Path.Combine(dir, $"n{wnidOf(ImageDecoder.Decode(file)):D3}_{i}.png"));
        }
        object classes = names == null
            ? new { wnids = Enumerable.Range(0, wnids).Select(c => $"n{c:D3}"), templates = ZeroShotTemplates }
            : new { wnids = Enumerable.Range(0, wnids).Select(c => $"n{c:D3}"), names, templates = ZeroShotTemplates };
        File.WriteAllText(Path.Combine(dir, "classes.json"), JsonSerializer.Serialize(classes));
        return dir;
    }

    [Fact]
    public void EvalZeroShotMatchesTheClassifierPerImage()
    {
        using var ck = TinyModels.Clip(91, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        var clip = ClipModel.Load(ck.Directory);
        var dense = clip.ZeroShot(ZeroShotNames, ZeroShotTemplates);
        // Even images labelled with dense's own top-1, odd ones with another class: top-1 must come out 50%, checked image by image below.
        int image = 0;
        string data = WriteZeroShotFolder(pixels =>
        {
            int top = dense.Classify(pixels, 1)[0].Index;
            return image++ % 2 == 0 ? top : (top + 1) % ZeroShotNames.Length;
        }, ZeroShotNames);

        var run = CliRun.Of(["eval", "--task", "zeroshot", "--model", ck.Directory, "--data", data,
            "--reducer", "none", "--reducer", "vision=tome:r=3", "--reducer", "text=tome:r=2", .. FastTiming]);
        Assert.True(run.Code == 0, run.Output);
        var root = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal(8, root.GetProperty("items").GetInt32());
        Assert.Equal(14, root.GetProperty("prompts").GetInt32());
        var rows = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["none", "none", "vision=tome:r=3", "text=tome:r=2"], rows.Select(r => r.GetProperty("reducer").GetString()));
        Assert.Equal(1.0, rows[0].GetProperty("agreement").GetDouble());
        AssertSameMetrics(rows[0], rows[1], "metrics", "score", "agreement", "gMacs");

        // Independent reference: each file's label from its name, each image's top-5 from ZeroShotClassifier.Classify.
        var files = Directory.GetFiles(data, "*.png").Order(StringComparer.Ordinal).ToArray();
        int[] labels = files.Select(f => int.Parse(Path.GetFileName(f)[1..4])).ToArray();
        double Share(Func<int, bool> hit) => Enumerable.Range(0, files.Length).Count(hit) / (double)files.Length;
        void AssertRow(JsonElement row, ClipModel model, ZeroShotClassifier classifier, int[] denseTop1)
        {
            var top5 = files.Select(f => classifier.Logits(ImageDecoder.Decode(f))).Select(logits => Enumerable.Range(0, logits.Length)
                .OrderByDescending(c => logits[c]).ThenBy(c => c).Take(5).ToArray()).ToArray();
            Assert.Equal(Share(i => top5[i][0] == labels[i]), row.GetProperty("metrics").GetProperty("top1").GetDouble() / 100, 1e-12);
            Assert.Equal(Share(i => top5[i].Contains(labels[i])), row.GetProperty("metrics").GetProperty("top5").GetDouble() / 100, 1e-12);
            Assert.Equal(Share(i => top5[i][0] == denseTop1[i]), row.GetProperty("agreement").GetDouble(), 1e-12);
        }
        int[] denseTop1 = files.Select(f => dense.Classify(ImageDecoder.Decode(f), 1)[0].Index).ToArray();
        Assert.Equal(0.5, Share(i => denseTop1[i] == labels[i]));
        AssertRow(rows[0], clip, dense, denseTop1);
        var vision = clip.WithReduction(ModelReduction.Parse("vision=tome:r=3"));
        AssertRow(rows[2], vision, vision.ZeroShot(ZeroShotNames, ZeroShotTemplates), denseTop1);
        var text = clip.WithReduction(ModelReduction.Parse("text=tome:r=2"));
        AssertRow(rows[3], text, text.ZeroShot(ZeroShotNames, ZeroShotTemplates), denseTop1);

        // Costs: the image tower's GMACs drop with a vision reducer only; the one-off prompt cost with a text reducer only.
        double Value(int row, string name) => name == "gMacs" ? rows[row].GetProperty(name).GetDouble() : rows[row].GetProperty("metrics").GetProperty(name).GetDouble();
        Assert.Equal(Value(0, "gMacs"), Value(3, "gMacs"));
        Assert.InRange(Value(2, "gMacs"), 0.3 * Value(0, "gMacs"), 0.99 * Value(0, "gMacs"));
        // The one-off prompt cost: every prompt (7 names × 2 templates) through the dense text tower, traced one by one.
        long promptMacs = ZeroShotNames.SelectMany(n => ZeroShotTemplates.Select(t => t.Replace("{}", n))).Sum(prompt =>
        {
            var trace = new Sieve.Nn.ForwardTrace();
            clip.Text.Encode(clip.Tokenize(prompt).Ids, trace);
            return trace.Macs;
        });
        Assert.True(promptMacs > 0);
        Assert.Equal(promptMacs / 1e9, Value(0, "promptGMacs"), 1e-12);
        Assert.Equal(Value(0, "promptGMacs"), Value(2, "promptGMacs"));
        Assert.InRange(Value(3, "promptGMacs"), 0.3 * Value(0, "promptGMacs"), 0.99 * Value(0, "promptGMacs"));
        var table = CliRun.Of(["eval", "--task", "zeroshot", "--model", ck.Directory, "--data", data, "--limit", "3", "--reducer", "text=tome:r=2", "--timing-images", "2", "--rounds", "1"]);
        Assert.True(table.Code == 0, table.Output);
        Assert.Contains("zero-shot, 7 classes × 2 templates, 3 images", table.Stdout);
        Assert.Contains("text=tome:r=2", table.Stdout);
        Assert.Contains("prompt GMACs", table.Stdout);
        foreach (var row in rows)
        {
            Assert.InRange(row.GetProperty("metrics").GetProperty("top1").GetDouble() / 100, 0, row.GetProperty("metrics").GetProperty("top5").GetDouble() / 100);
            Assert.True(row.GetProperty("itemsPerSecond").GetDouble() > 0);
            Assert.True(row.GetProperty("speedUp").GetDouble() > 0);
        }
    }

    [Fact]
    public void EvalZeroShotRefusesBadInputWithOneLine()
    {
        using var vit = TinyModels.Vit(92, DType.F32);
        using var clip = TinyModels.Clip(93, DType.F32);
        TinyClipVocab.WriteTo(clip.Directory);
        string folder = WriteZeroShotFolder(_ => 0);
        static void Refuses(string expected, params string[] args) => Assert.Contains(expected, Refused(CliRun.Of(args)));

        Refuses("is a ViT classifier, without a text tower: --task zeroshot compares image embeddings with prompt embeddings and needs CLIP",
            "eval", "--task", "zeroshot", "--model", vit.Directory, "--data", folder);
        using (var vilt = TinyVilt.Write(94, new TinyVilt.Shape(Answers: 0)))
            Refuses("is a ViLT, a fusion model without a contrastive head", "eval", "--task", "zeroshot", "--model", vilt.Directory, "--data", folder);
        Refuses("classes.json: names is missing; expected the class names, one per wnid, which zero-shot classification puts into the prompts", "eval", "--task", "zeroshot", "--model", clip.Directory, "--data", folder);
        string fewNames = Path.Combine(_temp.Path, "few-names.json");
        File.WriteAllText(fewNames, JsonSerializer.Serialize(new { wnids = Enumerable.Range(0, 7).Select(c => $"n{c:D3}"), names = ZeroShotNames[..6] }));
        Refuses("few-names.json: names has 6 entries for 7 wnids", "eval", "--task", "zeroshot", "--model", clip.Directory, "--data", folder, "--classes", fewNames);
        string named = Path.Combine(_temp.Path, "named.json");
        File.WriteAllText(named, JsonSerializer.Serialize(new { wnids = Enumerable.Range(0, 7).Select(c => $"n{c:D3}"), names = ZeroShotNames }));
        Refuses("template 'a photo' has no {} for the class name",
            "eval", "--task", "zeroshot", "--model", clip.Directory, "--data", folder, "--classes", named, "--template", "a {}", "--template", "a photo");
        Refuses("--template applies to --task zeroshot, not classify", "eval", "--model", vit.Directory, "--data", folder, "--template", "a {}");
    }
}
