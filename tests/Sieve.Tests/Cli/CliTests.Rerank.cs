using System.Text.Json;
using Sieve.Tests.Support;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve eval --task retrieval --rerank K</c>: BLIP's matching head re-ranks the cosine shortlist.</summary>
public sealed partial class CliTests
{
    [Fact]
    public void EvalRetrievalReRanksBlipsShortlistAndCountsItsCost()
    {
        using var ck = TinyBlip.Write(125);
        string json = WriteCaptions(3, ["a cat", "a photo of a cat", "two dogs", "the dog on the sofa", "a photo", "the sofa"]);
        string[] common = ["eval", "--task", "retrieval", "--model", ck.Directory, "--data", json, "--reducer", "vision=tome:r=2", .. FastTiming];

        var plain = CliRun.Of(common);
        var reranked = CliRun.Of([.. common, "--rerank", "2"]);

        Assert.True(reranked.Code == 0, reranked.Output);
        var root = JsonDocument.Parse(reranked.Stdout).RootElement;
        Assert.Equal(2, root.GetProperty("rerank").GetInt32());
        var rows = root.GetProperty("results").EnumerateArray().ToList();
        var plainRows = JsonDocument.Parse(plain.Stdout).RootElement.GetProperty("results").EnumerateArray().ToList();
        for (int r = 0; r < rows.Count; r++)
        {
            // The re-scoring is counted on top of the embeddings, for dense and reduced alike.
            double rerank = Metric(rows[r], "gMacsRerank");
            Assert.True(rerank > 0);
            Assert.Equal(plainRows[r].GetProperty("gMacs").GetDouble() + rerank, rows[r].GetProperty("gMacs").GetDouble(), 1e-9);
        }
    }

    [Fact]
    public void RerankIsRefusedWhereThereIsNoMatchingHeadToReRankWith()
    {
        using var clip = TinyModels.Clip(126, Sieve.Weights.DType.F32);
        string json = WriteCaptions(2, ["a cat", "a dog", "two dogs", "a sofa"]);
        var run = CliRun.Of("eval", "--task", "retrieval", "--model", clip.Directory, "--data", json, "--rerank", "2");
        Assert.Equal(2, run.Code);
        Assert.Contains("re-ranking needs an image–text matching head (BLIP)", run.Stderr);
        Assert.Single(run.Stderr.Trim().Split('\n'));

        run = CliRun.Of("eval", "--task", "classify", "--model", clip.Directory, "--data", json, "--rerank", "2");
        Assert.Equal(2, run.Code);
        Assert.Contains("--rerank", run.Stderr);
    }
}
