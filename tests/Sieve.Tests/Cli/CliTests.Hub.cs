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
    void WithHub(Action<FakeHub, TinyCheckpoint, string> test)
    {
        using var hub = new FakeHub();
        using var model = TinyModels.Vit(93, DType.F32);
        using var cache = new TempFolder("sieve-cli-hub-");
        hub.Add("tiny-org/vit-tiny", model.Directory);
        var saved = CliOptions.Hub;
        CliOptions.Hub = () => new HubOptions(hub.Endpoint, cache.Path) { RetryDelay = TimeSpan.Zero };
        try { test(hub, model, cache.Path); }
        finally { CliOptions.Hub = saved; }
    }

    [Fact]
    public void PullPrintsTheSnapshotFolder() => WithHub((hub, model, cache) =>
    {
        var run = Run("pull", "tiny-org/vit-tiny");
        Assert.True(run.Code == 0, run.Output);
        string folder = run.Stdout.TrimEnd().Split('\n')[^1];
        Assert.StartsWith(Path.Combine(cache, "models--tiny-org--vit-tiny", "snapshots"), folder);
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.Contains("downloading model.safetensors", run.Stderr); // progress stays off the pipe
    });

    [Fact]
    public void ModelOptionTakesARepositoryId() => WithHub((hub, model, cache) =>
    {
        string image = WriteImage("hub.png", 4);
        var hubRun = Run("classify", "--model", "tiny-org/vit-tiny", "--top", "2", image);
        Assert.True(hubRun.Code == 0, hubRun.Output);
        var localRun = Run("classify", "--model", model.Directory, "--top", "2", image);
        Assert.Equal(localRun.Stdout, hubRun.Stdout);
        Assert.StartsWith("downloading", hubRun.Stderr);
    });

    [Fact]
    public void PullErrorsExitWith2() => WithHub((hub, model, cache) =>
    {
        var (code, output) = Run("pull", "tiny-org/missing");
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("error: repository or file not found: tiny-org/missing (revision main)", output);

        hub.RequiredToken = "hf_x";
        (code, output) = Run("pull", "tiny-org/vit-tiny");
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("needs a token: set HF_TOKEN", output);
    });
}
