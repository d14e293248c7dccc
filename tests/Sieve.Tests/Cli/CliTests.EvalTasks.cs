using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve eval --task embedding</c> and <c>--task retrieval</c> end to end on generated CLIP / ViT models, images and captions.</summary>
public sealed partial class CliTests
{
    static readonly string[] FastTiming = ["--timing-images", "2", "--rounds", "1", "--json"];

    /// <summary>COCO's layout: annotations/captions_val2017.json with <paramref name="images"/> images in val2017/, two captions each.</summary>
    string WriteCaptions(int images, params string[] captions)
    {
        string root = Path.Combine(_temp.Path, "coco"), folder = Path.Combine(root, "val2017"), annotations = Path.Combine(root, "annotations");
        Directory.CreateDirectory(folder);
        Directory.CreateDirectory(annotations);
        for (int i = 0; i < images; i++) File.Move(WriteImage($"r{i}.png", 40 + i), Path.Combine(folder, $"{i:D12}.png"));
        string json = Path.Combine(annotations, "captions_val2017.json");
        File.WriteAllText(json, JsonSerializer.Serialize(new
        {
            images = Enumerable.Range(0, images).Select(i => new { id = i, file_name = $"{i:D12}.png" }),
            annotations = captions.Select((c, k) => new { image_id = k / 2, id = k, caption = c }),
        }));
        return json;
    }

    static void AssertSameMetrics(JsonElement expected, JsonElement actual, params string[] names)
    {
        foreach (string name in names) Assert.Equal(expected.GetProperty(name).ToString(), actual.GetProperty(name).ToString());
    }

    /// <summary>A task's own metric from a JSON result row (<c>metrics.KEY</c>).</summary>
    static double Metric(JsonElement row, string key) => row.GetProperty("metrics").GetProperty(key).GetDouble();

    [Fact]
    public void EvalEmbeddingMeasuresFidelityOfClipImageAndTextEmbeddings()
    {
        using var ck = TinyModels.Clip(81, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        string data = Path.Combine(_temp.Path, "photos");
        Directory.CreateDirectory(data);
        for (int i = 0; i < 6; i++) File.Move(WriteImage($"p{i}.png", 60 + i), Path.Combine(data, $"p{i}.png"));
        string texts = Path.Combine(_temp.Path, "texts.txt");
        File.WriteAllLines(texts, ["a cat", "a dog", "the cat and the dog", "", "dog", "a cat on a mat"]);
        var run = CliRun.Of(["eval", "--task", "embedding", "--model", ck.Directory, "--data", data, "--texts", texts,
            "--reducer", "none", "--reducer", "vision=tome:r=3", .. FastTiming]);
        Assert.True(run.Code == 0, run.Output);
        var root = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal((6, "images"), (root.GetProperty("items").GetInt32(), root.GetProperty("itemName").GetString()));
        Assert.Equal((5, "texts"), (root.GetProperty("textItems").GetInt32(), root.GetProperty("textItemName").GetString()));
        var rows = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["none", "none", "vision=tome:r=3"], rows.Select(r => r.GetProperty("reducer").GetString()));
        Assert.Equal(1.0, rows[0].GetProperty("metrics").GetProperty("meanCosine").GetDouble(), 1e-12);
        Assert.Equal(1.0, rows[0].GetProperty("metrics").GetProperty("worstCosine").GetDouble(), 1e-12);
        Assert.Equal(1.0, rows[0].GetProperty("agreement").GetDouble());
        Assert.Equal(100.0, Metric(rows[0], "overlapAt10"));
        AssertSameMetrics(rows[0], rows[1], "metrics", "agreement", "gMacs");
        var tome = rows[2];
        Assert.InRange(tome.GetProperty("gMacs").GetDouble(), 0.3 * rows[0].GetProperty("gMacs").GetDouble(), 0.99 * rows[0].GetProperty("gMacs").GetDouble());
        Assert.InRange(tome.GetProperty("agreement").GetDouble(), 0, 1);
        Assert.InRange(Metric(tome, "overlapAt10"), 0, 100);
        Assert.True(tome.GetProperty("itemsPerSecond").GetDouble() > 0);
        Assert.True(tome.GetProperty("metrics").GetProperty("worstCosine").GetDouble() <= tome.GetProperty("metrics").GetProperty("p5Cosine").GetDouble());
        Assert.True(tome.GetProperty("metrics").GetProperty("p5Cosine").GetDouble() <= tome.GetProperty("metrics").GetProperty("meanCosine").GetDouble());

        // Independent reference: each image's cosine between the reduced and the dense embedding, from the model itself.
        var clip = ClipModel.Load(ck.Directory);
        var reduced = clip.WithReduction(ModelReduction.Parse("vision=tome:r=3"));
        var cosines = Directory.GetFiles(data).Order(StringComparer.Ordinal)
            .Select(f => ImageDecoder.Decode(f)).Select(image => Ref64.Cosine(reduced.EncodeImage(image), clip.EncodeImage(image))).ToArray();
        Assert.Equal(cosines.Average(), tome.GetProperty("metrics").GetProperty("meanCosine").GetDouble(), 1e-9);
        Assert.Equal(cosines.Min(), tome.GetProperty("metrics").GetProperty("worstCosine").GetDouble(), 1e-9);
        Assert.True(cosines.Min() < 1 - 1e-6, "the reducer must change the embeddings, or this test proves nothing");

        // The text tower stays dense under vision=…: every text row is exact.
        var textRows = root.GetProperty("textResults").EnumerateArray().ToList();
        Assert.Equal(3, textRows.Count);
        Assert.All(textRows, r => Assert.Equal(1.0, r.GetProperty("metrics").GetProperty("meanCosine").GetDouble(), 1e-12));
        Assert.All(textRows, r => Assert.Equal(1.0, r.GetProperty("agreement").GetDouble()));
    }

    [Fact]
    public void EvalEmbeddingUsesVitFeaturesNotLogits()
    {
        using var ck = TinyModels.Vit(82, DType.F32);
        string data = WriteDataset();
        var run = CliRun.Of(["eval", "--task", "embedding", "--model", ck.Directory, "--data", data, "--reducer", "crossget:r=3", "--limit", "5", .. FastTiming]);
        Assert.True(run.Code == 0, run.Output);
        var rows = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(5, rows[1].GetProperty("items").GetInt32());
        var vit = VitModel.Load(ck.Directory);
        var reduced = vit.WithReduction(ModelReduction.Parse("crossget:r=3"));
        var cosines = Directory.GetFiles(data, "*.png").Order(StringComparer.Ordinal).Take(5)
            .Select(f => vit.Preprocess(ImageDecoder.Decode(f))).Select(p => Ref64.Cosine(reduced.Features(p), vit.Features(p))).ToArray();
        Assert.Equal(cosines.Average(), rows[1].GetProperty("metrics").GetProperty("meanCosine").GetDouble(), 1e-9);
        // Features alone: no head in the executed multiply-adds.
        Assert.Equal((vit.Macs - (long)TinyModels.VitClasses * TinyModels.VitWidth) / 1e9, rows[0].GetProperty("gMacs").GetDouble(), 1e-15);
    }

    [Fact]
    public void EvalRetrievalReportsRecallAgreementAndCostBothWays()
    {
        using var ck = TinyModels.Clip(83, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        string[] captions = ["a cat", "a cat on a mat", "a dog", "the dog", "a cat and a dog", "two dogs", "a bird", "the sky"];
        string json = WriteCaptions(4, captions);
        var run = CliRun.Of(["eval", "--task", "retrieval", "--model", ck.Directory, "--data", json,
            "--reducer", "none", "--reducer", "vision=tome:r=3", .. FastTiming]);
        Assert.True(run.Code == 0, run.Output);
        var root = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal(4, root.GetProperty("items").GetInt32());
        Assert.Equal(8, root.GetProperty("texts").GetInt32());
        var rows = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["none", "none", "vision=tome:r=3"], rows.Select(r => r.GetProperty("reducer").GetString()));
        foreach (var row in rows)
        {
            double sum = 0;
            foreach (string direction in new[] { "i2t", "t2i" })
            {
                double r1 = Metric(row, direction + "R1"), r5 = Metric(row, direction + "R5"), r10 = Metric(row, direction + "R10");
                Assert.InRange(r1, 0, 100);
                Assert.True(r1 <= r5 && r5 <= r10 && r10 <= 100);
                sum += r1 + r5 + r10;
            }
            Assert.Equal(sum, Metric(row, "rSum"), 1e-9);
            Assert.Equal(sum, row.GetProperty("score").GetDouble(), 1e-9);
            Assert.InRange(row.GetProperty("agreement").GetDouble(), 0, 1);
        }
        Assert.Equal(1.0, rows[0].GetProperty("agreement").GetDouble());
        Assert.Equal(100.0, Metric(rows[0], "overlapAt10"));
        AssertSameMetrics(rows[0], rows[1], "metrics", "score", "agreement", "gMacs");
        Assert.True(rows[2].GetProperty("gMacs").GetDouble() < rows[0].GetProperty("gMacs").GetDouble());
        Assert.Equal(Metric(rows[0], "gMacsPerText"), Metric(rows[2], "gMacsPerText"));

        // Independent reference for the dense rows: rank by cosine here, ties to the lower index.
        var clip = ClipModel.Load(ck.Directory);
        var images = Enumerable.Range(0, 4).Select(i => clip.EncodeImage(ImageDecoder.Decode(Path.Combine(Path.GetDirectoryName(json)!, "..", "val2017", $"{i:D12}.png")))).ToArray();
        var texts = captions.Select(clip.EncodeText).ToArray();
        double imageR1 = Enumerable.Range(0, 4).Count(i =>
            Enumerable.Range(0, 8).OrderByDescending(t => Ref64.Cosine(images[i], texts[t])).ThenBy(t => t).First() / 2 == i) / 4.0;
        double textR1 = Enumerable.Range(0, 8).Count(t =>
            Enumerable.Range(0, 4).OrderByDescending(i => Ref64.Cosine(images[i], texts[t])).ThenBy(i => i).First() == t / 2) / 8.0;
        Assert.Equal(100 * imageR1, Metric(rows[0], "i2tR1"), 1e-9);
        Assert.Equal(100 * textR1, Metric(rows[0], "t2iR1"), 1e-9);
        Assert.Equal(100.0, Metric(rows[0], "t2iR5")); // 4 images: every text's image is in its top 5

        // Agreement of the reduced rankings with the dense ones: same top-1, over the 4 image and 8 text queries.
        var reduced = clip.WithReduction(ModelReduction.Parse("vision=tome:r=3"));
        var reducedImages = Enumerable.Range(0, 4).Select(i => reduced.EncodeImage(ImageDecoder.Decode(Path.Combine(Path.GetDirectoryName(json)!, "..", "val2017", $"{i:D12}.png")))).ToArray();
        int TopText(float[][] imageSet, int i) => Enumerable.Range(0, 8).OrderByDescending(t => Ref64.Cosine(imageSet[i], texts[t])).ThenBy(t => t).First();
        int TopImage(float[][] imageSet, int t) => Enumerable.Range(0, 4).OrderByDescending(i => Ref64.Cosine(imageSet[i], texts[t])).ThenBy(i => i).First();
        int same = Enumerable.Range(0, 4).Count(i => TopText(reducedImages, i) == TopText(images, i)) + Enumerable.Range(0, 8).Count(t => TopImage(reducedImages, t) == TopImage(images, t));
        Assert.True(same < 12, "the reducer must change some top-1, or the agreement check proves nothing");
        Assert.Equal(same / 12.0, rows[2].GetProperty("agreement").GetDouble(), 1e-12);

        // --limit takes the first images with all their captions.
        run = CliRun.Of(["eval", "--task", "retrieval", "--model", ck.Directory, "--data", json, "--limit", "2", .. FastTiming]);
        Assert.True(run.Code == 0, run.Output);
        root = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal((2, 4), (root.GetProperty("items").GetInt32(), root.GetProperty("texts").GetInt32()));
    }

    [Fact]
    public void EvalTasksRefuseBadInputWithOneLine()
    {
        using var vit = TinyModels.Vit(84, DType.F32);
        using var clip = TinyModels.Clip(85, DType.F32);
        TinyClipVocab.WriteTo(clip.Directory);
        string json = WriteCaptions(2, "a cat", "a dog", "the cat", "the dog"), folder = WriteDataset();

        static void Refuses(string expected, params string[] args) => Assert.Contains(expected, Refused(CliRun.Of(args)));

        Refuses("is a ViT classifier, without a text tower: --task retrieval ranks by the cosine of image and text embeddings and needs a dual encoder (CLIP, BLIP)",
            "eval", "--task", "retrieval", "--model", vit.Directory, "--data", json);
        using (var vilt = TinyVilt.Write(87))
            Refuses("is a ViLT, a fusion model without a contrastive head", "eval", "--task", "zeroshot", "--model", vilt.Directory, "--data", folder);
        Refuses("--task 'rank': expected classify, zeroshot, embedding, retrieval, vqa or caption", "eval", "--task", "rank", "--model", clip.Directory, "--data", json);
        File.Delete(Path.Combine(_temp.Path, "coco", "val2017", $"{1:D12}.png"));
        Refuses($"image '{Path.Combine(_temp.Path, "coco", "val2017", $"{1:D12}.png")}' does not exist", "eval", "--task", "retrieval", "--model", clip.Directory, "--data", json);
        Refuses("--split applies to --task retrieval or caption, not classify", "eval", "--model", vit.Directory, "--data", folder, "--split", "test");
        Refuses("--classes applies to --task classify or zeroshot, not retrieval", "eval", "--task", "retrieval", "--model", clip.Directory, "--data", json, "--classes", json);
        Refuses("MADTP cannot reach 10% of dense compute", "eval", "--task", "embedding", "--model", clip.Directory, "--data", folder, "--reducer", "vision=madtp:target=0.1", "--calibration", "2", "--json");
        Refuses("--texts needs a CLIP model", "eval", "--task", "embedding", "--model", vit.Directory, "--data", folder, "--texts", json);
    }

    [SharedDataFact]
    public void EvalRetrievalRunsOnCocoMini()
    {
        using var ck = TinyModels.Clip(86, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        var run = CliRun.Of(["eval", "--task", "retrieval", "--model", ck.Directory, "--data",
            SharedData.Path("data", "coco-mini", "annotations", "captions_val2017.json"), "--reducer", "vision=tome:r=2", .. FastTiming]);
        Assert.True(run.Code == 0, run.Output);
        var root = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal((79, 395), (root.GetProperty("items").GetInt32(), root.GetProperty("texts").GetInt32()));
        var rows = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(1.0, rows[0].GetProperty("agreement").GetDouble());
        Assert.InRange(Metric(rows[1], "rSum"), 0, 600);
    }

    [Fact]
    public void SweepRunsRetrievalWithTheSameColumnsAsEval()
    {
        using var ck = TinyModels.Clip(87, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        string json = WriteCaptions(3, "a cat", "a cat on a mat", "a dog", "the dog", "a bird", "the sky");
        string outDir = Path.Combine(_temp.Path, "sweep-retrieval");
        var sweep = CliRun.Of(["sweep", "--task", "retrieval", "--model", ck.Directory, "--data", json, "--methods", "tome", "--r", "2,3",
            "--timing-images", "2", "--rounds", "1", "--out", outDir]);
        Assert.True(sweep.Code == 0, sweep.Output);
        var swept = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "sweep.json"))).RootElement;
        Assert.Equal(("retrieval", 3), (swept.GetProperty("task").GetString(), swept.GetProperty("items").GetInt32()));
        var rows = swept.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["none", "tome:r=2", "tome:r=3"], rows.Select(r => r.GetProperty("reducer").GetString()));

        // The same reducers through eval: identical metrics, agreement and GMACs (only the measured speed differs).
        var eval = CliRun.Of(["eval", "--task", "retrieval", "--model", ck.Directory, "--data", json, "--reducer", "tome:r=2", "--reducer", "tome:r=3", .. FastTiming]);
        Assert.True(eval.Code == 0, eval.Output);
        var evaluated = JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("results").EnumerateArray().ToList();
        for (int i = 0; i < 3; i++) AssertSameMetrics(evaluated[i], rows[i], "reducer", "metrics", "score", "agreement", "gMacs", "gMacsRatio");
        Assert.Contains("| reducer | RSum | i→t R@1 |", File.ReadAllText(Path.Combine(outDir, "sweep.md")));
        Assert.Contains("| `tome:r=3` |", File.ReadAllText(Path.Combine(outDir, "sweep.md")));
        Assert.Contains("RSum", sweep.Stdout);
    }
}
