using Sieve.Cli;
using Sieve.Cli.Commands;
using Sieve.Hub;
using Sieve.Tests.Hub;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve pull</c> and repository ids as <c>--model</c>, against a fake Hub on 127.0.0.1.</summary>
public sealed partial class CliTests
{
    /// <summary>Runs <paramref name="test"/> with the CLI pointed at a fresh fake Hub serving a tiny ViT as tiny-org/vit-tiny.</summary>
    static async Task WithHub(Func<FakeHub, TinyCheckpoint, string, Task> test)
    {
        using var hub = new FakeHub();
        using var model = TinyModels.Vit(93, DType.F32);
        using var cache = new TempFolder("sieve-cli-hub-");
        hub.Add("tiny-org/vit-tiny", model.Directory);
        var saved = CliOptions.Hub;
        // Time-outs far above the default 10 s: while the suite's other tests hold the 2 cores, the fake Hub's listener
        // once went unscheduled that long, the client retried, and a test counting requests saw two (CI-style run).
        CliOptions.Hub = () => new HubOptions(hub.Endpoint, cache.Path)
            { RetryDelay = TimeSpan.Zero, ConnectTimeout = TimeSpan.FromMinutes(2), ReadTimeout = TimeSpan.FromMinutes(2) };
        try { await test(hub, model, cache.Path); }
        finally { CliOptions.Hub = saved; }
    }

    [Fact]
    public Task PullPrintsTheSnapshotFolder() => WithHub(async (hub, model, cache) =>
    {
        var run = await CliRun.OfAsync(["pull", "tiny-org/vit-tiny"]);
        Assert.True(run.Code == 0, run.Output);
        string folder = run.Stdout.TrimEnd().Split('\n')[^1];
        Assert.StartsWith(Path.Combine(cache, "models--tiny-org--vit-tiny", "snapshots"), folder);
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.Contains("downloading model.safetensors", run.Stderr); // progress stays off the pipe
    });

    [Fact]
    public Task ModelOptionTakesARepositoryId() => WithHub(async (hub, model, cache) =>
    {
        string image = WriteImage("hub.png", 4);
        var hubRun = await CliRun.OfAsync(["classify", "--model", "tiny-org/vit-tiny", "--top", "2", image]);
        Assert.True(hubRun.Code == 0, hubRun.Output);
        var localRun = Run("classify", "--model", model.Directory, "--top", "2", image);
        Assert.Equal(localRun.Stdout, hubRun.Stdout);
        Assert.StartsWith("downloading", hubRun.Stderr);
    });

    [Fact]
    public Task PullErrorsExitWith2() => WithHub(async (hub, model, cache) =>
    {
        var (code, output) = await CliRun.OfAsync(["pull", "tiny-org/missing"]);
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("error: repository or file not found: tiny-org/missing (revision main)", output);

        hub.RequiredToken = "hf_x";
        (code, output) = await CliRun.OfAsync(["pull", "tiny-org/vit-tiny"]);
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("needs a token: set HF_TOKEN", output);
    });

    [Fact]
    public Task CancellingARunStopsItsDownloadWithExit130() => WithHub(async (hub, model, cache) =>
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel(); // as Ctrl+C before the first request
        foreach (string[] args in new[] { ["pull", "tiny-org/vit-tiny"], new[] { "classify", "--model", "tiny-org/vit-tiny", WriteImage("cancel.png", 5) } })
        {
            var run = await CliRun.OfAsync(args, cancel.Token);
            Assert.Equal((SieveCli.Cancelled, "", "error: cancelled\n"), (run.Code, run.Stdout, run.Stderr.ReplaceLineEndings("\n")));
        }
        Assert.Empty(hub.Requests);
        Assert.Empty(Directory.GetFiles(cache, "*", SearchOption.AllDirectories));
    });
}
