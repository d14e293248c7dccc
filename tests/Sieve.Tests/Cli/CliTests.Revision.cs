using Sieve.Cli;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve pull --revision</c> against the fake Hub.</summary>
public sealed partial class CliTests
{
    [Fact]
    public Task PullTakesARevision() => WithHub(async (hub, model, cache) =>
    {
        string commit = hub.Add("tiny-org/vit-tiny", model.Directory); // the commit the fake Hub already serves
        var run = await CliRun.OfAsync(["pull", "tiny-org/vit-tiny", "--revision", commit]);
        var (code, output) = run;
        Assert.True(code == 0, output);
        string repo = Path.Combine(cache, "models--tiny-org--vit-tiny");
        Assert.Equal(Path.Combine(repo, "snapshots", commit), run.Stdout.TrimEnd());
        Assert.Equal(1, hub.Count($"GET /api/models/tiny-org/vit-tiny/revision/{commit}"));
        Assert.Equal(0, hub.Count("GET /api/models/tiny-org/vit-tiny/revision/main"));
        Assert.Equal(1, hub.Count($"GET /tiny-org/vit-tiny/resolve/{commit}/model.safetensors"));
        Assert.False(File.Exists(Path.Combine(repo, "refs", "main"))); // a commit is not a branch: no ref moves

        (code, output) = await CliRun.OfAsync(["pull", "tiny-org/vit-tiny", "--revision", "v9"]);
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("error: repository or file not found: tiny-org/vit-tiny (revision v9)", output);
    });
}
