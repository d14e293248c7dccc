using Sieve.Hub;
using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Hub;

/// <summary>Pulling models through <see cref="HubModel"/> from a local fake Hub into a temporary cache.</summary>
public sealed class HubTests : IDisposable
{
    const string Repo = "tiny-org/vit-tiny";
    readonly FakeHub _hub = new();
    readonly TempFolder _cache = new("sieve-hub-cache-");
    readonly TinyCheckpoint _model = TinyModels.Vit(91, DType.F32);

    public HubTests() => _hub.Add(Repo, _model.Directory);

    public void Dispose()
    {
        _hub.Dispose();
        _cache.Dispose();
        _model.Dispose();
    }

    // Time-outs far above the default 10 s, as in CliTests.WithHub: a busy test host can leave the fake Hub unscheduled
    // that long, and a retry would add to the requests these tests count.
    HubOptions Options(string? token = null, bool offline = false) =>
        new(_hub.Endpoint, _cache.Path, token, offline)
            { RetryDelay = TimeSpan.FromMilliseconds(10), ConnectTimeout = TimeSpan.FromMinutes(2), ReadTimeout = TimeSpan.FromMinutes(2) };

    string RepoFolder => Path.Combine(_cache.Path, "models--tiny-org--vit-tiny");

    static float[] Pixels()
    {
        var x = new float[3 * TinyModels.VitImage * TinyModels.VitImage];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Cos(i * 0.21f);
        return x;
    }

    [Fact]
    public async Task FirstPullFillsTheCacheLayoutAndTheSnapshotLoads()
    {
        var reports = new List<HubDownloadProgress>();
        string snapshot = await HubModel.ResolveAsync(Repo, Options(), new SyncProgress(reports.Add));

        string commit = File.ReadAllText(Path.Combine(RepoFolder, "refs", "main"));
        Assert.Equal(Path.Combine(RepoFolder, "snapshots", commit), snapshot);
        byte[] weights = File.ReadAllBytes(Path.Combine(_model.Directory, "model.safetensors"));
        string weightsEtag = FakeHub.Etag("model.safetensors", weights);
        Assert.Equal(64, weightsEtag.Length);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(RepoFolder, "blobs", weightsEtag)));
        var link = new FileInfo(Path.Combine(snapshot, "model.safetensors"));
        Assert.Equal(Path.Combine("..", "..", "blobs", weightsEtag), link.LinkTarget);
        string configEtag = FakeHub.Etag("config.json", File.ReadAllBytes(Path.Combine(_model.Directory, "config.json")));
        Assert.Equal(40, configEtag.Length);
        Assert.True(File.Exists(Path.Combine(RepoFolder, "blobs", configEtag)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(RepoFolder, "blobs"), "*.incomplete"));

        Assert.Equal(VitModel.Load(_model.Directory).Logits(Pixels()), VitModel.Load(snapshot).Logits(Pixels()));
        Assert.Contains(reports, r => r.File == "model.safetensors" && r.Bytes == weights.Length && r.Total == weights.Length);
    }

    [Fact]
    public async Task SecondPullIsServedFromTheCache()
    {
        string first = await HubModel.ResolveAsync(Repo, Options());
        int downloads = _hub.Count("GET /tiny-org/vit-tiny/resolve/");
        Assert.Equal(2, downloads); // config.json and model.safetensors

        Assert.Equal(first, await HubModel.ResolveAsync(Repo, Options()));
        Assert.Equal(downloads, _hub.Count("GET /tiny-org/vit-tiny/resolve/"));
        Assert.Equal(2, _hub.Count("HEAD /tiny-org/vit-tiny/resolve/")); // no metadata requests either
    }

    [Fact]
    public async Task DroppedConnectionResumesWithARangeRequest()
    {
        int size = (int)new FileInfo(Path.Combine(_model.Directory, "model.safetensors")).Length;
        _hub.DropFile = "model.safetensors";
        _hub.DropAfter = size / 3;

        string snapshot = await HubModel.ResolveAsync(Repo, Options());

        Assert.Contains(_hub.Requests, r => r.EndsWith($"model.safetensors bytes={size / 3}-", StringComparison.Ordinal));
        Assert.Equal(VitModel.Load(_model.Directory).Logits(Pixels()), VitModel.Load(snapshot).Logits(Pixels()));
    }

    [Fact]
    public async Task CorruptDownloadIsRejectedByItsChecksum()
    {
        var weights = File.ReadAllBytes(Path.Combine(_model.Directory, "model.safetensors"));
        var tampered = (byte[])weights.Clone();
        tampered[^1] ^= 0x40;
        _hub.Tampered["model.safetensors"] = tampered;

        var e = await Assert.ThrowsAsync<HubException>(() => HubModel.ResolveAsync(Repo, Options()));
        Assert.Contains("tiny-org/vit-tiny/model.safetensors: the download is corrupt", e.Message);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(RepoFolder, "blobs"), FakeHub.Etag("model.safetensors", weights) + "*"));
        Assert.False(File.Exists(Path.Combine(RepoFolder, "refs", "main")));
    }

    [Fact]
    public async Task MissingRepositoryIsReportedAsNotFound()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => HubModel.ResolveAsync("tiny-org/nothing-here", Options()));
        Assert.Equal("repository or file not found: tiny-org/nothing-here (revision main)", e.Message);
    }

    [Fact]
    public async Task GatedRepositoryAsksForAToken()
    {
        _hub.RequiredToken = "hf_secret";
        var e = await Assert.ThrowsAsync<HubException>(() => HubModel.ResolveAsync(Repo, Options()));
        Assert.Contains("tiny-org/vit-tiny (revision main) needs a token: set HF_TOKEN", e.Message);

        string snapshot = await HubModel.ResolveAsync(Repo, Options(token: "hf_secret"));
        Assert.True(File.Exists(Path.Combine(snapshot, "model.safetensors")));
    }

    [Fact]
    public async Task OfflineModeUsesTheCacheOnly()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => HubModel.ResolveAsync(Repo, Options(offline: true)));
        Assert.Contains("tiny-org/vit-tiny (revision main) is not in the cache", e.Message);
        Assert.Contains("HF_HUB_OFFLINE is set", e.Message);
        Assert.Empty(_hub.Requests);

        string online = await HubModel.ResolveAsync(Repo, Options());
        int requests = _hub.Requests.Count;
        Assert.Equal(online, await HubModel.ResolveAsync(Repo, Options(offline: true)));
        Assert.Equal(requests, _hub.Requests.Count);
    }

    [Fact]
    public async Task ShardedCheckpointIsPulledAndLoads()
    {
        var expected = VitModel.Load(_model.Directory).Logits(Pixels());
        var shards = Shards.Split(_model.Directory, 2);
        _hub.Add("tiny-org/vit-sharded", _model.Directory);

        string snapshot = await HubModel.ResolveAsync("tiny-org/vit-sharded", Options());

        Assert.All(shards, s => Assert.True(File.Exists(Path.Combine(snapshot, s))));
        Assert.Equal(expected, VitModel.Load(snapshot).Logits(Pixels()));
    }

    [Fact]
    public async Task PytorchWeightsArePulledWhenTheRepositoryHasNoSafetensors()
    {
        var expected = VitModel.Load(_model.Directory).Logits(Pixels());
        using var bin = new TempFolder();
        TorchCheckpoints.WriteFolder(_model, bin.Path, TorchLayout.PerTensor);
        File.WriteAllText(Path.Combine(bin.Path, "README.md"), "not fetched");
        _hub.Add("tiny-org/vit-bin", bin.Path);

        string snapshot = await HubModel.ResolveAsync("tiny-org/vit-bin", Options());

        Assert.Equal(["config.json", CheckpointFiles.TorchFile], Directory.EnumerateFiles(snapshot).Select(Path.GetFileName).Order());
        Assert.Equal(expected, VitModel.Load(snapshot).Logits(Pixels()));

        // A repository with both gets only the safetensors.
        File.Copy(Path.Combine(_model.Directory, CheckpointFiles.SingleFile), Path.Combine(bin.Path, CheckpointFiles.SingleFile));
        _hub.Add("tiny-org/vit-both", bin.Path);
        snapshot = await HubModel.ResolveAsync("tiny-org/vit-both", Options());
        Assert.Equal(["config.json", CheckpointFiles.SingleFile], Directory.EnumerateFiles(snapshot).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task ARepositoryWithoutWeightsIsNamedAsSuch()
    {
        using var empty = new TempFolder();
        File.Copy(Path.Combine(_model.Directory, "config.json"), Path.Combine(empty.Path, "config.json"));
        _hub.Add("tiny-org/no-weights", empty.Path);
        var e = await Assert.ThrowsAsync<HubException>(() => HubModel.ResolveAsync("tiny-org/no-weights", Options()));
        Assert.Equal("tiny-org/no-weights: the repository has none of model.safetensors, model.safetensors.index.json, pytorch_model.bin, " +
            "pytorch_model.bin.index.json; Sieve reads safetensors or PyTorch weights", e.Message);
    }

    [Fact]
    public async Task FolderArgumentIsUsedAsItIs()
    {
        Assert.Equal(_model.Directory, await HubModel.ResolveAsync(_model.Directory, Options()));
        Assert.Empty(_hub.Requests);
        var e = await Assert.ThrowsAsync<SieveFormatException>(() => HubModel.ResolveAsync(Path.Combine(_cache.Path, "missing"), Options()));
        Assert.Contains("does not exist", e.Message);
    }
}
