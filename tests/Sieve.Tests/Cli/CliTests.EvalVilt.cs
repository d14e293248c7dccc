using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Tests.Data;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve eval --task vqa</c> and <c>--task retrieval</c> with ViLT's matching head, end to end on generated ViLTs.</summary>
public sealed partial class CliTests
{
    static readonly string[] VqaQuestions = ["what is the cat ?", "what is the color of the dog ?", "what is on the sofa ?", "is the cat a dog ?"];

    /// <summary>
    /// VQAv2 files for <see cref="VqaQuestions"/> about two images (questions 0-1 on image 10, 2-3 on image 20), with
    /// <paramref name="answers"/>[q] as the ten human answers of question q; the images are PNGs found through an image map.
    /// </summary>
    (string Questions, string Annotations, string Map, string Folder) WriteVqa(string[][] answers, string?[]? types = null)
    {
        string folder = Path.Combine(_temp.Path, "vqa");
        Directory.CreateDirectory(folder);
        WritePng(Path.Combine(folder, "ten.png"), 71, 64, 40);
        WritePng(Path.Combine(folder, "twenty.png"), 72, 40, 72);
        string questions = Path.Combine(folder, "questions.json"), annotations = Path.Combine(folder, "annotations.json"), map = Path.Combine(folder, "map.json");
        File.WriteAllText(questions, JsonSerializer.Serialize(new
        {
            questions = VqaQuestions.Select((q, k) => new { image_id = k < 2 ? 10 : 20, question = q, question_id = 100 + k }),
        }));
        File.WriteAllText(annotations, JsonSerializer.Serialize(new
        {
            annotations = answers.Select((a, k) => new
            {
                question_id = 100 + k, image_id = k < 2 ? 10 : 20, multiple_choice_answer = a[0], answer_type = types?[k] ?? "other",
                answers = a.Select((x, j) => new { answer = x, answer_id = j + 1 }),
            }),
        }));
        File.WriteAllText(map, """{"10": "ten.png", "20": "twenty.png"}""");
        return (questions, annotations, map, folder);
    }

    /// <summary>A random RGB PNG of <paramref name="width"/> × <paramref name="height"/>: the two VQA images differ in shape, so their patch grids do too.</summary>
    static void WritePng(string path, int seed, int width, int height)
    {
        var samples = new byte[width * height * 3];
        new Random(seed).NextBytes(samples);
        File.WriteAllBytes(path, TestPng.Encode(width, height, TestPng.ColorType.Rgb, samples));
    }

    [Fact]
    public void EvalVqaReportsTheOfficialAccuracyPerAnswerTypeAndAgreementWithDense()
    {
        using var ck = TinyVilt.Write(141);
        // The model's own answers first, through its own preprocessing and tokenizer, then annotations written around them.
        var model = ViltModel.Load(ck.Directory);
        string[] images = [Path.Combine(_temp.Path, "a.png"), Path.Combine(_temp.Path, "b.png")];
        WritePng(images[0], 71, 64, 40);
        WritePng(images[1], 72, 40, 72);
        var inputs = VqaQuestions.Select((q, k) => model.Prepare(ImageDecoder.Decode(images[k / 2]), q)).ToArray();
        string[] dense = inputs.Select(i => model.Answer(i, 1)[0].Label).ToArray();
        string[] Humans(int k, int matching) => [.. Enumerable.Range(0, 10).Select(h => h < matching ? dense[k] : "blue")];
        // 10 matching humans → 1, 3 → 0.9, none → 0, 1 → 0.3 (the official rules): 55 points overall.
        var (questions, annotations, map, root) = WriteVqa([Humans(0, 10), Humans(1, 3), Humans(2, 0), Humans(3, 1)], ["yes/no", "number", "other", "yes/no"]);

        var run = CliRun.Of(["eval", "--task", "vqa", "--model", ck.Directory, "--data", questions, "--annotations", annotations, "--image-map", map, "--image-root", root,
            "--reducer", "none", "--reducer", "tome:r=2", .. FastTiming]);
        Assert.True(run.Code == 0, run.Output);
        var output = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal(("vqa", 4, "questions", 2), (output.GetProperty("task").GetString(), output.GetProperty("items").GetInt32(),
            output.GetProperty("itemName").GetString(), output.GetProperty("images").GetInt32()));
        var rows = output.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["none", "none", "tome:r=2"], rows.Select(r => r.GetProperty("reducer").GetString()));
        Assert.Equal(55.0, rows[0].GetProperty("score").GetDouble(), 9);
        Assert.Equal(55.0, Metric(rows[0], "vqaAccuracy"), 9);
        Assert.Equal(65.0, Metric(rows[0], "accuracyYesNo"), 9); // (1 + 0.3) / 2
        Assert.Equal(90.0, Metric(rows[0], "accuracyNumber"), 9);
        Assert.Equal(0.0, Metric(rows[0], "accuracyOther"), 9);
        Assert.Equal(1.0, rows[0].GetProperty("agreement").GetDouble());
        // Each question with its own image (40 × 64 and 72 × 40 pixels: different patch grids) and its own tokens.
        Assert.NotEqual(inputs[0].Width, inputs[2].Width);
        Assert.Equal(inputs.Average(i => model.AnswerMacs(i.TextTokens, i.Height / 8, i.Width / 8)) / 1e9, rows[0].GetProperty("gMacs").GetDouble(), 15);
        AssertSameMetrics(rows[0], rows[1], "metrics", "score", "agreement", "gMacs");
        Assert.InRange(rows[2].GetProperty("agreement").GetDouble(), 0, 1);
        Assert.InRange(rows[2].GetProperty("score").GetDouble(), 0, 100);
        Assert.True(rows[2].GetProperty("gMacs").GetDouble() < rows[0].GetProperty("gMacs").GetDouble());
        Assert.True(rows[2].GetProperty("itemsPerSecond").GetDouble() > 0);

        // The table: the same numbers, VQA's columns first, questions per second.
        var table = CliRun.Of(["eval", "--task", "vqa", "--model", ck.Directory, "--data", questions, "--annotations", annotations, "--image-map", map,
            "--image-root", root, "--limit", "2", "--timing-images", "1", "--rounds", "1"]);
        Assert.True(table.Code == 0, table.Output);
        Assert.Contains("VQA acc", table.Stdout);
        Assert.Contains("q/s", table.Stdout);
        Assert.Contains("95.0", table.Stdout); // the first two questions: (1 + 0.9) / 2

        // Sharded in three (the answer types spread over the parts: the merge chooses the columns from all of them).
        string[] args = ["--task", "vqa", "--model", ck.Directory, "--data", questions, "--annotations", annotations, "--image-map", map, "--image-root", root,
            "--reducer", "tome:r=2"];
        AssertShardsMergeIntoTheWhole("vqa", 3, args, "images");
    }

    [Fact]
    public void EvalRetrievalWithViltScoresPairsWithItsMatchingHead()
    {
        using var ck = TinyVilt.Write(142, new TinyVilt.Shape(Answers: 0));
        string[] captions = ["a cat on a sofa", "the cat", "a dog", "the dog on a sofa", "a cafe", "what is the color"];
        string json = WriteCaptions(3, captions);

        // Negatives beyond the other side's size: every query ranks everything, checked against the model's own scores.
        var run = CliRun.Of(["eval", "--task", "retrieval", "--model", ck.Directory, "--data", json, "--negatives", "100", "--reducer", "none", "--reducer", "tome:r=2", .. FastTiming]);
        Assert.True(run.Code == 0, run.Output);
        var root = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal((3, 6, 100, 18), (root.GetProperty("items").GetInt32(), root.GetProperty("texts").GetInt32(), root.GetProperty("negatives").GetInt32(), root.GetProperty("pairs").GetInt32()));
        var rows = root.GetProperty("results").EnumerateArray().ToList();
        var model = ViltModel.Load(ck.Directory);
        var images = Enumerable.Range(0, 3).Select(i => ImageDecoder.Decode(Path.Combine(_temp.Path, "coco", "val2017", $"{i:D12}.png"))).ToArray();
        var score = new float[3, 6];
        for (int i = 0; i < 3; i++) for (int t = 0; t < 6; t++) score[i, t] = model.MatchScore(images[i], captions[t]);
        double imageR1 = Enumerable.Range(0, 3).Count(i => Enumerable.Range(0, 6).OrderByDescending(t => score[i, t]).ThenBy(t => t).First() / 2 == i) / 3.0;
        double textR1 = Enumerable.Range(0, 6).Count(t => Enumerable.Range(0, 3).OrderByDescending(i => score[i, t]).ThenBy(i => i).First() == t / 2) / 6.0;
        Assert.Equal(100 * imageR1, Metric(rows[0], "i2tR1"), 9);
        Assert.Equal(100 * textR1, Metric(rows[0], "t2iR1"), 9);
        Assert.Equal((1.0, 100.0), (rows[0].GetProperty("agreement").GetDouble(), Metric(rows[0], "overlapAt10")));
        AssertSameMetrics(rows[0], rows[1], "metrics", "score", "agreement", "gMacs");
        Assert.InRange(rows[2].GetProperty("score").GetDouble(), 0, 600);
        Assert.True(Metric(rows[2], "gMacsPerPair") < Metric(rows[0], "gMacsPerPair"));
        // An item is an image with its share of the pairs: 18 pairs over 3 images.
        Assert.Equal(Metric(rows[0], "gMacsPerPair") * 6, rows[0].GetProperty("gMacs").GetDouble(), 12);

        // One negative per query: each image ranks its two captions and one other, each caption its image and one other.
        run = CliRun.Of(["eval", "--task", "retrieval", "--model", ck.Directory, "--data", json, "--negatives", "1", .. FastTiming]);
        Assert.True(run.Code == 0, run.Output);
        root = JsonDocument.Parse(run.Stdout).RootElement;
        // 9 pairs for the image queries (6 own, 3 negatives); the captions' 6 negatives add at least 3 more.
        Assert.InRange(root.GetProperty("pairs").GetInt32(), 12, 15);
        Assert.Equal(100.0, Metric(root.GetProperty("results")[0], "i2tR5"));
    }

    [Fact]
    public void ViltTasksRefuseBadInputWithOneLine()
    {
        using var vilt = TinyVilt.Write(143);
        using var clip = TinyModels.Clip(144, DType.F32);
        TinyClipVocab.WriteTo(clip.Directory);
        using var vit = TinyModels.Vit(145, DType.F32);
        string[] ten = [.. Enumerable.Repeat("cat", 10)];
        var (questions, annotations, map, root) = WriteVqa([ten, ten, ten, ten]);
        string[] vqa = ["--data", questions, "--annotations", annotations, "--image-map", map, "--image-root", root];

        static void Refuses(string expected, params string[] args) => Assert.Contains(expected, Refused(CliRun.Of(args)));

        Refuses("VQA needs a model with a VQA head (ViLT)", ["eval", "--task", "vqa", "--model", clip.Directory, .. vqa]);
        Refuses("VQA needs a model with a VQA head (ViLT)", ["eval", "--task", "vqa", "--model", vit.Directory, .. vqa]);
        using (var matchOnly = TinyVilt.Write(146, new TinyVilt.Shape(Answers: 0)))
            Refuses("without a VQA head (classifier.*)", ["eval", "--task", "vqa", "--model", matchOnly.Directory, .. vqa]);
        Refuses("--task vqa needs --annotations", "eval", "--task", "vqa", "--model", vilt.Directory, "--data", questions);
        Refuses("--negatives applies to --task retrieval, not vqa", ["eval", "--task", "vqa", "--model", vilt.Directory, "--negatives", "3", .. vqa]);
        Refuses("the fusion tower is one stream of text and image tokens", ["eval", "--task", "vqa", "--model", vilt.Directory, "--reducer", "vision=tome:r=2;text=tome:r=1", .. vqa]);

        // An annotation for a question the questions file does not have.
        var doc = JsonDocument.Parse(File.ReadAllText(annotations)).RootElement.GetProperty("annotations").EnumerateArray().Select(a => JsonSerializer.Deserialize<Dictionary<string, object>>(a.GetRawText())!).ToList();
        doc.Add(new(doc[0]) { ["question_id"] = 999 });
        string extra = Path.Combine(_temp.Path, "extra-annotations.json");
        File.WriteAllText(extra, JsonSerializer.Serialize(new { annotations = doc }));
        Refuses("annotation for question_id 999 has no question", ["eval", "--task", "vqa", "--model", vilt.Directory, "--data", questions, "--annotations", extra, "--image-map", map, "--image-root", root]);
        // Questions whose images are missing: COCO's names (no map) that do not exist.
        Refuses("image of image_id 10 does not exist", "eval", "--task", "vqa", "--model", vilt.Directory, "--data", questions, "--annotations", annotations);

        string json = WriteCaptions(2, "a cat", "a dog", "the cat", "the dog");
        Refuses("--negatives applies to retrieval with a fusion model's matching head (ViLT)", "eval", "--task", "retrieval", "--model", clip.Directory, "--data", json, "--negatives", "3");
        using (var vqaOnly = TinyVilt.Write(147, new TinyVilt.Shape(Match: false)))
            Refuses("is a ViLT without an image–text matching head (rank_output)", "eval", "--task", "retrieval", "--model", vqaOnly.Directory, "--data", json);
    }

    [Fact]
    public void SweepRunsVqaThroughTheSameTask()
    {
        using var ck = TinyVilt.Write(148);
        string[] ten = [.. Enumerable.Repeat("answer 1", 10)];
        var (questions, annotations, map, root) = WriteVqa([ten, ten, ten, ten]);
        string outDir = Path.Combine(_temp.Path, "sweep-vqa");
        var sweep = CliRun.Of(["sweep", "--task", "vqa", "--model", ck.Directory, "--data", questions, "--annotations", annotations, "--image-map", map, "--image-root", root,
            "--methods", "tome", "--r", "1,2", "--timing-images", "2", "--rounds", "1", "--out", outDir]);
        Assert.True(sweep.Code == 0, sweep.Output);
        var swept = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "sweep.json"))).RootElement;
        Assert.Equal(("vqa", 4, "questions"), (swept.GetProperty("task").GetString(), swept.GetProperty("items").GetInt32(), swept.GetProperty("itemName").GetString()));
        Assert.Equal(["none", "tome:r=1", "tome:r=2"], swept.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("reducer").GetString()));
        Assert.Contains("| reducer | VQA acc | other |", File.ReadAllText(Path.Combine(outDir, "sweep.md")));
    }
}
