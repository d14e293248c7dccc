using System.Text.Json;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>
/// <c>sieve eval --shard I/N --out PART</c> and <c>eval --merge</c>: the parts' evidence, scored once, is the unsharded
/// run's report — every metric, agreement and GMACs value equal to the last bit — and parts of different jobs are refused.
/// </summary>
public sealed partial class CliTests
{
    /// <summary>Runs <paramref name="args"/> once per shard of <paramref name="count"/> and returns the parts' paths, last first (merge takes any order).</summary>
    string[] EvalParts(string name, int count, params string[] args) =>
    [
        .. Enumerable.Range(0, count).Reverse().Select(i =>
        {
            string part = Path.Combine(_temp.Path, $"{name}-{i}of{count}.safetensors");
            var run = CliRun.Of(["eval", .. args, "--shard", $"{i}/{count}", "--out", part]);
            Assert.True(run.Code == 0, run.Output);
            return part;
        }),
    ];

    /// <summary>
    /// Runs <paramref name="args"/> whole and as <paramref name="count"/> shards (<see cref="EvalParts"/>), merges the
    /// parts, and checks that the merged report's rows equal the unsharded run's in everything but speed (which is
    /// measured differently) and that it carries the <paramref name="facts"/> alike; returns the merged rows and the parts.
    /// </summary>
    (List<JsonElement> Rows, string[] Parts) AssertShardsMergeIntoTheWhole(string name, int count, string[] args, params string[] facts)
    {
        var wholeRun = CliRun.Of(["eval", .. args, .. FastTiming]);
        Assert.True(wholeRun.Code == 0, wholeRun.Output);
        var parts = EvalParts(name, count, args);
        var mergedRun = CliRun.Of(["eval", "--merge", .. parts, "--json"]);
        Assert.True(mergedRun.Code == 0, mergedRun.Output);
        var whole = JsonDocument.Parse(wholeRun.Stdout).RootElement;
        var merged = JsonDocument.Parse(mergedRun.Stdout).RootElement;
        AssertSameMetrics(whole, merged, ["task", "precision", "items", "itemName", .. facts]);
        var (wholeRows, mergedRows) = (whole.GetProperty("results").EnumerateArray().ToList(), merged.GetProperty("results").EnumerateArray().ToList());
        Assert.Equal(wholeRows.Count, mergedRows.Count);
        for (int s = 0; s < wholeRows.Count; s++)
        {
            AssertSameMetrics(wholeRows[s], mergedRows[s], "reducer", "items", "score", "agreement", "cosine", "gMacs", "gMacsRatio", "metrics");
            Assert.True(mergedRows[s].GetProperty("itemsPerSecond").GetDouble() > 0);
        }
        Assert.Equal("summed work time", merged.GetProperty("timing").GetProperty("kind").GetString());
        return (mergedRows, parts);
    }

    [Fact]
    public void EvalClassifyShardsMergeIntoTheUnshardedReport()
    {
        using var ck = TinyModels.Vit(91, DType.F32);
        string data = WriteDataset();
        // A MADTP target is calibrated on the whole task's first items in every part, so the parts run one temperature.
        string[] args = ["--model", ck.Directory, "--data", data, "--reducer", "tome:r=3", "--reducer", "vision=madtp:target=0.7", "--calibration", "3"];
        var (rows, parts) = AssertShardsMergeIntoTheWhole("classify", 4, args);
        Assert.True(rows[1].GetProperty("gMacs").GetDouble() < rows[0].GetProperty("gMacs").GetDouble(), "the reducers must cut work, or equality proves little");
        Assert.Contains("madtp:", rows[2].GetProperty("reducer").GetString());

        // int8: agreement is with float32 dense, whose answers each part keeps beside its own.
        string[] int8 = [.. args[..4], "--reducer", "tome:r=3", "--precision", "int8"];
        AssertShardsMergeIntoTheWhole("int8", 2, int8);

        // The table: the unsharded title, and speed stated as summed work time.
        var table = CliRun.Of(["eval", "--merge", .. parts]);
        Assert.True(table.Code == 0, table.Output);
        Assert.Contains("merged from 4 shards", table.Stdout);
        Assert.Contains("summed work time", table.Stdout);
    }

    [Fact]
    public void EvalEmbeddingShardsMergeIntoTheUnshardedReport()
    {
        using var ck = TinyModels.Vit(95, DType.F32);
        string data = WriteDataset();
        // Nearest neighbours are searched among all the images at the merge, across the parts.
        string[] args = ["--task", "embedding", "--model", ck.Directory, "--data", data, "--reducer", "crossget:r=3"];
        var rows = AssertShardsMergeIntoTheWhole("embedding", 3, args).Rows;
        Assert.True(rows[1].GetProperty("metrics").GetProperty("meanCosine").GetDouble() < 1, "a reducer that changes nothing would make equality prove little");
        // A part reports its own fidelity as it is written, so it needs two images of its own.
        Assert.Contains("needs at least 2", Refused(CliRun.Of(["eval", .. args, "--shard", "0/6", "--out", Path.Combine(_temp.Path, "one.safetensors"), "--json"])));
    }

    [Fact]
    public void EvalCaptionShardsMergeIntoTheUnshardedReport()
    {
        using var ck = TinyCaptioner(131);
        // CIDEr-D weighs n-grams by how many images' references hold them, so the merge must score all references at once.
        string[] references = ["a cat on the sofa", "a photo of a cat", "two dogs", "the dog on the sofa", "a photo", "two cats play",
            "a red car", "a car on the road", "the sky", "a blue sky"];
        string json = WriteCaptions(5, references);
        string[] args = ["--task", "caption", "--model", ck.Directory, "--data", json, "--prompt", "a photo of", "--reducer", "vision=tome:r=3"];
        var (rows, parts) = AssertShardsMergeIntoTheWhole("caption", 3, args);
        Assert.True(Metric(rows[0], "ciderD") > 0, "captions that share nothing with the references would make equality prove little");

        // A part captioned with another prompt is another job.
        string other = Path.Combine(_temp.Path, "caption-other-prompt.safetensors");
        var odd = CliRun.Of(["eval", .. args[..^4], "--prompt", "a picture of", "--reducer", "vision=tome:r=3", "--shard", "0/3", "--out", other]);
        Assert.True(odd.Code == 0, odd.Output);
        var refused = CliRun.Of(["eval", "--merge", other, .. parts[..2]]);
        Assert.Equal(2, refused.Code);
        Assert.Contains("data", refused.Stderr);
    }

    [Fact]
    public void EvalRetrievalShardsMergeIntoTheUnshardedReport()
    {
        using var ck = TinyModels.Clip(92, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        string[] captions = ["a cat", "a dog", "a bird", "the sky", "a tree", "a cat on a mat", "the dog", "two birds", "blue sky", "green tree", "cats", "dogs"];
        string json = WriteCaptions(5, captions);
        // Captions interleaved over the images (caption k belongs to image k mod 5): a part's texts are not a contiguous run of
        // the whole's, so the merge must put them back in the whole's order.
        var coco = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        File.WriteAllText(json, JsonSerializer.Serialize(new
        {
            images = coco.GetProperty("images"),
            annotations = captions.Select((c, k) => new { image_id = k % 5, id = k, caption = c }),
        }));
        string[] args = ["--task", "retrieval", "--model", ck.Directory, "--data", json, "--reducer", "vision=tome:r=3", "--reducer", "text=tome:r=2"];
        var rows = AssertShardsMergeIntoTheWhole("retrieval", 3, args, "texts").Rows;
        Assert.NotEqual(Metric(rows[0], "gMacsPerText"), Metric(rows[2], "gMacsPerText"));
    }

    [Fact]
    public void EvalZeroShotShardsMergeIntoTheUnshardedReport()
    {
        using var ck = TinyModels.Clip(95, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        int image = 0;
        string data = WriteZeroShotFolder(_ => image++ % ZeroShotNames.Length, ZeroShotNames);
        string[] args = ["--task", "zeroshot", "--model", ck.Directory, "--data", data, "--reducer", "vision=tome:r=3", "--reducer", "text=tome:r=2"];
        AssertShardsMergeIntoTheWhole("zeroshot", 3, args, "classes", "templates", "prompts");
    }

    [Fact]
    public void EvalShardAndMergeMistakesAreRefusedInOneLine()
    {
        using var vit = TinyModels.Vit(93, DType.F32);
        using var other = TinyModels.Vit(94, DType.F32);
        string data = WriteDataset(), never = Path.Combine(_temp.Path, "never.safetensors");
        string[] args = ["--model", vit.Directory, "--data", data, "--reducer", "tome:r=3"];
        CliRun Eval(params string[] more) => CliRun.Of(["eval", .. more]);

        Assert.Contains("--shard and --out go together", Refused(Eval([.. args, "--shard", "0/2"])));
        Assert.Contains("a part's evidence is written as .safetensors", Refused(Eval([.. args, "--shard", "0/2", "--out", Path.Combine(_temp.Path, "p.json")])));
        Assert.Contains("--shard '2/2': expected I/N", Refused(Eval([.. args, "--shard", "2/2", "--out", never])));
        Assert.Contains("--shard 0/7: 6 images cannot make 7 shards", Refused(Eval([.. args, "--shard", "0/7", "--out", never])));
        Assert.Contains("--rerank re-scores pairs across all images", Refused(Eval([.. args, "--task", "retrieval", "--rerank", "2", "--shard", "0/2", "--out", never])));
        Assert.Contains("is inside", Refused(Eval([.. args, "--shard", "0/2", "--out", Path.Combine(data, "p.safetensors")])));
        Assert.Contains("Option '--model' is required", Refused(Eval("--data", data)));

        var halves = EvalParts("a", 2, args);
        var (a, b) = (halves[1], halves[0]);
        Assert.Contains("shard 1/2 is missing (1 of 2 given)", Refused(Eval("--merge", a)));
        Assert.Contains("shard 0/2 is given more than once", Refused(Eval("--merge", a, a, b)));
        Assert.Contains("it takes only --json, not --model", Refused(Eval("--merge", a, b, "--model", vit.Directory)));
        string otherReducer = EvalParts("r", 2, [.. args[..4], "--reducer", "tome:r=2"])[0];
        Assert.Contains($"'{otherReducer}' has reducers 'none, tome:r=2', '{a}' 'none, tome:r=3': not parts of one job", Refused(Eval("--merge", a, otherReducer)));
        string otherModel = EvalParts("m", 2, ["--model", other.Directory, .. args[2..]])[0];
        Assert.Contains($"'{otherModel}' has model fingerprint", Refused(Eval("--merge", a, otherModel)));
        string fewer = EvalParts("l", 2, [.. args, "--limit", "5"])[0];
        Assert.Contains($"'{fewer}' has data", Refused(Eval("--merge", a, fewer)));
        string thirds = EvalParts("t", 3, args)[0];
        Assert.Contains("not parts of one job", Refused(Eval("--merge", a, b, thirds)));

        string embedded = Path.Combine(_temp.Path, "embedded.safetensors");
        Assert.Equal(0, Run("embed", "--model", vit.Directory, "--images", data, "--out", embedded, "--shard", "0/2").Code);
        Assert.Contains($"'{embedded}' is not the output of `sieve eval --shard`", Refused(Eval("--merge", a, embedded)));
        Assert.Contains($"'{never}' does not exist", Refused(Eval("--merge", a, never)));

        // A part whose header or evidence was damaged: named, never scored.
        string Damaged(string name, Func<string, string> header, Func<string, string> evidence)
        {
            using var part = SafetensorsFile.Open(b);
            string path = Path.Combine(_temp.Path, name);
            new SafetensorsWriter().AddMetadata("evalShard", header(part.Metadata["evalShard"])).AddMetadata("evidence", evidence(part.Metadata["evidence"])).Save(path);
            return path;
        }
        string badHeader = Damaged("header.safetensors", h => h.Replace("\"task\"", "\"tusk\""), e => e);
        Assert.Contains($"'{badHeader}' has a damaged 'evalShard' header", Refused(Eval("--merge", a, badHeader)));
        string badEvidence = Damaged("evidence.safetensors", h => h, e => e.Replace("\"labels\":[", "\"labels\":[0,"));
        Assert.Contains($"'{badEvidence}': 'evidence': 4 labels but", Refused(Eval("--merge", a, badEvidence)));
        string shifted = Damaged("shifted.safetensors", h => h.Replace("\"start\":3", "\"start\":2"), e => e);
        Assert.Contains($"'{shifted}' holds the evidence of 3 images (2–6); shard 1/2 of 6 images is 3–6", Refused(Eval("--merge", a, shifted)));
        Assert.False(File.Exists(never));
    }
}
