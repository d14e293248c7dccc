using Sieve.Hub;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Hub;

/// <summary>
/// The real Hub's download path: an LFS file's <c>resolve</c> answers 302 to a storage host (here a second server on
/// 127.0.0.1, another origin), which sends the bytes with its own ETag. Also retries, and the options the
/// <c>HF_*</c> variables give.
/// </summary>
public sealed class HubRedirectTests : IDisposable
{
    const string Repo = "tiny-org/vit-tiny";
    readonly FakeHub _hub = new();
    readonly FakeHub _storage = new();
    readonly TempFolder _cache = new("sieve-hub-redirect-");
    readonly TinyCheckpoint _model = TinyModels.Vit(92, DType.F32);
    readonly byte[] _weights;
    readonly string _sha;
    readonly string _commit;

    public HubRedirectTests()
    {
        _commit = _hub.Add(Repo, _model.Directory);
        _hub.LfsRedirect = _storage;
        _weights = File.ReadAllBytes(Path.Combine(_model.Directory, "model.safetensors"));
        _sha = FakeHub.Etag("model.safetensors", _weights);
    }

    public void Dispose()
    {
        _hub.Dispose();
        _storage.Dispose();
        _cache.Dispose();
        _model.Dispose();
    }

    // Long time-outs: a retry after a busy host's delay would add to the requests these tests count (see HubTests).
    HubOptions Options(string? token = null) =>
        new(_hub.Endpoint, _cache.Path, token) { RetryDelay = TimeSpan.FromMilliseconds(1), ConnectTimeout = TimeSpan.FromMinutes(2), ReadTimeout = TimeSpan.FromMinutes(2) };

    string Blobs => Path.Combine(_cache.Path, "models--tiny-org--vit-tiny", "blobs");

    [Fact]
    public async Task LfsFileComesFromTheStorageHostAndTheTokenStaysWithTheHub()
    {
        _hub.RequiredToken = "hf_secret";
        string snapshot = await HubModel.PullAsync(Repo, "main", Options("hf_secret"));

        Assert.Equal(_weights, File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
        // Named by the Hub's X-Linked-Etag (the content's SHA-256), not the pointer's ETag nor the storage host's.
        Assert.Equal(_weights, File.ReadAllBytes(Path.Combine(Blobs, _sha)));
        Assert.Equal(2, Directory.GetFiles(Blobs).Length); // config.json and the weights, nothing else
        // The HEAD's 302 carries the metadata and is not followed; the GET is, once.
        Assert.Equal([$"GET /lfs/{_sha}"], _storage.Requests);
        Assert.Empty(_storage.Authorized);
        Assert.Contains($"HEAD /{Repo}/resolve/{_commit}/model.safetensors", _hub.Authorized);
        Assert.Contains($"GET /{Repo}/resolve/{_commit}/model.safetensors", _hub.Authorized);
    }

    [Fact]
    public async Task CorruptRedirectedBodyIsRefused()
    {
        var tampered = (byte[])_weights.Clone();
        tampered[tampered.Length / 2] ^= 0x10;
        _hub.Tampered["model.safetensors"] = tampered; // the storage host sends it; the Hub's headers describe the original

        var e = await Assert.ThrowsAsync<HubException>(() => HubModel.PullAsync(Repo, "main", Options()));
        Assert.Equal($"{Repo}/model.safetensors: the download is corrupt: its SHA-256 is {FakeHub.Etag("model.safetensors", tampered)}, "
            + $"the Hub lists {_sha}; the partial file was deleted, try again", e.Message);
        Assert.Equal([$"GET /lfs/{_sha}"], _storage.Requests);
        Assert.Empty(Directory.EnumerateFiles(Blobs, _sha + "*"));
        Assert.False(File.Exists(Path.Combine(_cache.Path, "models--tiny-org--vit-tiny", "refs", "main")));
    }

    [Fact]
    public async Task ServerErrorsAreRetriedUpToTheAttempts()
    {
        _hub.FailNext[$"/api/models/{Repo}/revision/main"] = 1;
        _storage.FailNext[$"/lfs/{_sha}"] = 2;
        string snapshot = await HubModel.PullAsync(Repo, "main", Options());
        Assert.Equal(_weights, File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
        Assert.Equal(2, _hub.Count($"GET /api/models/{Repo}/revision/main"));
        Assert.Equal(3, _storage.Count($"GET /lfs/{_sha}"));

        using var again = new TempFolder("sieve-hub-redirect-");
        _storage.FailNext[$"/lfs/{_sha}"] = 3;
        var e = await Assert.ThrowsAsync<HubException>(() => HubModel.PullAsync(Repo, "main", Options() with { CacheDirectory = again.Path }));
        Assert.Equal($"{Repo}/model.safetensors: failed after 3 attempts: 503 Service Unavailable", e.Message);
        Assert.Equal(6, _storage.Count($"GET /lfs/{_sha}")); // three more, not a fourth
    }

    static HubOptions From(params (string Name, string Value)[] variables)
    {
        var set = variables.ToDictionary(v => v.Name, v => v.Value);
        return HubOptions.FromEnvironment(set.GetValueOrDefault);
    }

    [Fact]
    public async Task EachVariableSetsItsOption()
    {
        var none = From();
        Assert.Equal("https://huggingface.co", none.Endpoint);
        Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub"), none.CacheDirectory);
        Assert.Null(none.Token);
        Assert.False(none.Offline);

        Assert.Equal("http://127.0.0.1:9", From(("HF_ENDPOINT", "http://127.0.0.1:9/")).Endpoint);
        Assert.Equal(Path.Combine("/h", "hub"), From(("HF_HOME", "/h")).CacheDirectory);
        Assert.Equal("/c", From(("HF_HOME", "/h"), ("HF_HUB_CACHE", "/c")).CacheDirectory);
        Assert.Equal("hf_x", From(("HF_TOKEN", "hf_x")).Token);
        Assert.Null(From(("HF_TOKEN", "")).Token); // set but empty counts as unset
        Assert.All(new[] { "1", "true", "TRUE", "yes" }, v => Assert.True(From(("HF_HUB_OFFLINE", v)).Offline, v));
        Assert.All(new[] { "0", "false", "no", "" }, v => Assert.False(From(("HF_HUB_OFFLINE", v)).Offline, v));
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)), (none.ConnectTimeout, none.ReadTimeout)); // huggingface_hub's default
        var slow = From(("HF_HUB_DOWNLOAD_TIMEOUT", "2.5"));
        Assert.Equal((TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(2.5)), (slow.ConnectTimeout, slow.ReadTimeout));
        Assert.All(new[] { "0", "-1", "soon", "1e300" }, v =>
            Assert.Equal($"HF_HUB_DOWNLOAD_TIMEOUT is '{v}'; expected a positive number of seconds, at most 2147483",
                Assert.Throws<HubException>(() => From(("HF_HUB_DOWNLOAD_TIMEOUT", v))).Message));

        // End to end: the variables alone point a pull at the Hub, the cache and the token; then offline reads that cache.
        _hub.RequiredToken = "hf_secret";
        var online = From(("HF_ENDPOINT", _hub.Endpoint + "/"), ("HF_HUB_CACHE", _cache.Path), ("HF_TOKEN", "hf_secret"));
        string snapshot = await HubModel.PullAsync(Repo, "main", online);
        Assert.Equal(_weights, File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
        int requests = _hub.Requests.Count;
        Assert.Equal(snapshot, await HubModel.PullAsync(Repo, "main", From(("HF_HUB_CACHE", _cache.Path), ("HF_HUB_OFFLINE", "1"))));
        Assert.Equal(requests, _hub.Requests.Count);
    }
}
