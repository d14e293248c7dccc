using System.Text.Json;
using Sieve.Cli;
using Sieve.Tests.Cli;

namespace Sieve.Tests.Serve;

/// <summary><c>sieve loadtest</c> against a real server: every request accounted for, loopback only.</summary>
public sealed class LoadtestCommandTests(ServeModels models) : IClassFixture<ServeModels>
{
    static async Task<JsonElement> LoadAsync(Uri server, params string[] extra)
    {
        var run = await CliRun.OfAsync(["loadtest", "--url", server.ToString(), "--seconds", "120", "--json", .. extra]);
        Assert.True(run.Code == 0, run.Output);
        return JsonDocument.Parse(run.Stdout).RootElement;
    }

    [Fact]
    public async Task EveryRequestIsAnsweredAndTheServersBatchesAreReported()
    {
        await using var server = await ServeHarness.StartAsync(models.Clip.Directory, ServeHarness.Defaults with { MaxWait = TimeSpan.FromMilliseconds(50) });
        var report = await LoadAsync(server.Client.BaseAddress!, "--clients", "4", "--requests", "24", "--task", "text");
        Assert.Equal(24, report.GetProperty("answered").GetInt32());
        Assert.Equal(0, report.GetProperty("lost").GetInt32());
        Assert.True(report.GetProperty("p99_ms").GetDouble() >= report.GetProperty("p50_ms").GetDouble());
        // The batch histogram is the server's own, during the run: its batches held the 24 inputs.
        Assert.Equal(await server.MetricAsync("sieve_batch_size_count"), report.GetProperty("batch_sizes").EnumerateArray().Sum(b => b.GetProperty("batches").GetDouble()));
    }

    [Fact]
    public async Task OverloadGets429sAndLosesNothing()
    {
        await using var server = await ServeHarness.StartAsync(models.Clip.Directory, ServeHarness.Defaults with { QueueCapacity = 1, MaxBatch = 1 });
        var report = await LoadAsync(server.Client.BaseAddress!, "--clients", "16", "--requests", "160", "--task", "image", "--overload");
        int answered = report.GetProperty("answered").GetInt32(), refused = report.GetProperty("refused_429").GetInt32();
        Assert.Equal(160, answered + refused);
        Assert.Equal(0, report.GetProperty("failed").GetInt32());
        Assert.Equal(0, report.GetProperty("lost").GetInt32());
        Assert.Equal(refused, await server.MetricAsync("sieve_requests_total{endpoint=\"/v1/embeddings\",status=\"429\"}"));
        Assert.Equal(answered, await server.MetricAsync("sieve_requests_total{endpoint=\"/v1/embeddings\",status=\"200\"}"));
    }

    [Fact]
    public async Task TheLibraryRunTimesTheSameImageAndGivesTheServedRatio()
    {
        await using var server = await ServeHarness.StartAsync(models.Vit.Directory);
        var report = await LoadAsync(server.Client.BaseAddress!, "--clients", "2", "--requests", "6", "--task", "classify", "--library", models.Vit.Directory, "--batch", "4");
        Assert.Equal(6, report.GetProperty("answered").GetInt32());
        double library = report.GetProperty("library_throughput").GetDouble();
        Assert.True(library > 0);
        Assert.Equal(report.GetProperty("throughput").GetDouble() / library, report.GetProperty("served_over_library").GetDouble(), 1e-12);
        // Without --library there is no library figure.
        report = await LoadAsync(server.Client.BaseAddress!, "--requests", "2", "--task", "classify");
        Assert.Equal(JsonValueKind.Null, report.GetProperty("library_throughput").ValueKind);
    }

    [Theory]
    [InlineData("vit", "text", "--library times image inputs: give --task classify or image, not text")]
    [InlineData("clip", "classify", "is not a timm ViT classifier; --task classify needs one")]
    public async Task TheLibraryRunIsRefusedWhereItWouldNotCompareLikeWithLike(string folder, string task, string expected)
    {
        await using var server = await ServeHarness.StartAsync(models.Vit.Directory);
        var run = await CliRun.OfAsync(["loadtest", "--url", server.Client.BaseAddress!.ToString(), "--task", task, "--library",
            folder == "vit" ? models.Vit.Directory : models.Clip.Directory]);
        Assert.Equal(SieveCli.InputError, run.Code);
        Assert.Contains(expected, run.Output);
        Assert.Equal(0, await server.MetricAsync("sieve_batch_size_count")); // refused before any traffic
    }

    [Theory]
    [InlineData("http://example.com:8080", "is not on this machine")]
    [InlineData("http://10.0.0.1:8080", "is not on this machine")]
    [InlineData("ftp://127.0.0.1:21", "must be an http:// URL")]
    public void OnlyThisMachineIsTargeted(string url, string expected)
    {
        var (code, output) = CliRun.Of("loadtest", "--url", url);
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains(expected, output);
    }
}
