using System.Net;
using System.Net.Sockets;
using System.Text;
using Sieve.Hub;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Hub;

/// <summary>
/// Servers that misbehave (issue 12, defects 4 and 8): one that accepts and never answers, one that stalls in the
/// middle of a file, one whose body never ends, one whose content does not match its git ETag, and endpoints
/// that are not http(s) addresses. Each ends, within short time-outs, in one <see cref="HubException"/>. A cancel is
/// not a time-out: it ends the download at once with <see cref="OperationCanceledException"/>, without a retry.
/// </summary>
public sealed class HubTimeoutTests : IDisposable
{
    const string Repo = "tiny-org/vit-tiny", Commit = "0123456789abcdef0123456789abcdef01234567";
    readonly TempFolder _cache = new("sieve-hub-timeout-");

    public void Dispose() => _cache.Dispose();

    // Short enough to keep the tests fast, long enough that a busy machine does not time out a server that answers.
    HubOptions Options(string endpoint, double readTimeoutSeconds = 2) => new(endpoint, _cache.Path)
    {
        Attempts = 2,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        ConnectTimeout = TimeSpan.FromSeconds(2),
        ReadTimeout = TimeSpan.FromSeconds(readTimeoutSeconds),
    };

    static readonly byte[] Content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 2000).Select(i => $"{i},")));

    /// <summary>HEAD headers for <see cref="Content"/> served as a git (non-LFS) file.</summary>
    static string Head(bool withLength = true) =>
        $"HTTP/1.1 200 OK\r\nConnection: close\r\nETag: \"{FakeHub.Etag("config.json", Content)}\"\r\n{(withLength ? $"Content-Length: {Content.Length}\r\n" : "")}\r\n";

    /// <summary>The result of <paramref name="step"/>, failing the test instead of waiting when it hangs.</summary>
    static async Task<T> Finishes<T>(Task<T> step)
    {
        Assert.True(await Task.WhenAny(step, Task.Delay(TimeSpan.FromSeconds(30))) == step, "still waiting after 30 s");
        return await step;
    }

    [Fact]
    public async Task A_server_that_accepts_and_never_answers_fails_after_the_retries()
    {
        using var server = new LoopbackServer(async (request, stream, stop) => await Task.Delay(Timeout.Infinite, stop));
        using var client = new HubClient(Options(server.Endpoint, readTimeoutSeconds: 0.3));

        var e = await Finishes(Assert.ThrowsAsync<HubException>(() => client.DownloadAsync(Repo, Commit, "config.json")));

        Assert.Equal($"{Repo}/config.json: failed after 2 attempts: the server did not answer within 0.3 s (HF_HUB_DOWNLOAD_TIMEOUT)", e.Message);
        // The attempts are the client's own count: how many requests reach the server is not (under a busy suite a
        // 0.3 s attempt can end before its connection is even accepted), so it is not asserted here.
    }

    [Fact]
    public async Task A_server_that_stalls_mid_file_is_given_up_on_and_the_partial_file_kept_for_resuming()
    {
        using var server = new LoopbackServer(async (request, stream, stop) =>
        {
            if (request.StartsWith("HEAD", StringComparison.Ordinal)) { await stream.WriteAsync(Encoding.ASCII.GetBytes(Head()), stop); return; }
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {Content.Length}\r\n\r\n"), stop);
            await stream.WriteAsync(Content.AsMemory(0, 100), stop);
            await Task.Delay(Timeout.Infinite, stop);
        });
        using var client = new HubClient(Options(server.Endpoint, readTimeoutSeconds: 3)); // 3 s: a busy suite must not look like a stall

        var e = await Finishes(Assert.ThrowsAsync<HubException>(() => client.DownloadAsync(Repo, Commit, "config.json")));

        Assert.Contains("failed after 2 attempts: the server did not answer within 3 s", e.Message);
        var partial = Directory.GetFiles(_cache.Path, "*.incomplete", SearchOption.AllDirectories);
        Assert.Equal(100, new FileInfo(Assert.Single(partial)).Length);
    }

    [Fact]
    public async Task A_stalled_download_resumes_on_the_next_try()
    {
        int gets = 0;
        using var server = new LoopbackServer(async (request, stream, stop) =>
        {
            if (request.StartsWith("HEAD", StringComparison.Ordinal)) { await stream.WriteAsync(Encoding.ASCII.GetBytes(Head()), stop); return; }
            if (Interlocked.Increment(ref gets) == 1)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {Content.Length}\r\n\r\n"), stop);
                await stream.WriteAsync(Content.AsMemory(0, 700), stop);
                await Task.Delay(Timeout.Infinite, stop);
            }
            Assert.Contains("Range: bytes=700-", request);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 206 Partial Content\r\nConnection: close\r\nContent-Range: bytes 700-{Content.Length - 1}/{Content.Length}\r\nContent-Length: {Content.Length - 700}\r\n\r\n"), stop);
            await stream.WriteAsync(Content.AsMemory(700), stop);
        });
        // 3 s: the second answer must not be mistaken for a stall while the rest of the suite keeps the thread pool busy.
        using var client = new HubClient(Options(server.Endpoint, readTimeoutSeconds: 3));

        string path = await Finishes(client.DownloadAsync(Repo, Commit, "config.json"));

        Assert.Equal(Content, File.ReadAllBytes(path));
        Assert.Equal(2, gets);
    }

    [Fact]
    public async Task Cancelling_a_stalled_download_ends_it_without_a_retry_and_keeps_the_partial_file_for_resuming()
    {
        int gets = 0;
        using var server = new LoopbackServer(async (request, stream, stop) =>
        {
            if (request.StartsWith("HEAD", StringComparison.Ordinal)) { await stream.WriteAsync(Encoding.ASCII.GetBytes(Head()), stop); return; }
            if (Interlocked.Increment(ref gets) == 1)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {Content.Length}\r\n\r\n"), stop);
                await stream.WriteAsync(Content.AsMemory(0, 100), stop);
                await Task.Delay(Timeout.Infinite, stop);
            }
            Assert.Contains("Range: bytes=100-", request);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 206 Partial Content\r\nConnection: close\r\nContent-Range: bytes 100-{Content.Length - 1}/{Content.Length}\r\nContent-Length: {Content.Length - 100}\r\n\r\n"), stop);
            await stream.WriteAsync(Content.AsMemory(100), stop);
        });
        // A read time-out far past the 30 s guard, and attempts to spare: only the cancel can end the stall in time.
        using var client = new HubClient(Options(server.Endpoint, readTimeoutSeconds: 600) with { Attempts = 3 });
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Bytes == 100) cancel.Cancel(); }); // the user gives up once the stall begins

        await Finishes(Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DownloadAsync(Repo, Commit, "config.json", progress, cancel.Token)));

        Assert.Equal(1, gets); // not retried
        var partial = Directory.GetFiles(_cache.Path, "*.incomplete", SearchOption.AllDirectories);
        Assert.Equal(100, new FileInfo(Assert.Single(partial)).Length);
        // The next try asks for the rest only.
        Assert.Equal(Content, File.ReadAllBytes(await Finishes(client.DownloadAsync(Repo, Commit, "config.json"))));
        Assert.Equal(2, gets);
    }

    [Fact]
    public async Task A_cancelled_token_stops_every_operation_before_it_sends_a_request()
    {
        using var hub = new FakeHub();
        using var model = TinyModels.Vit(94, DType.F32);
        string commit = hub.Add(Repo, model.Directory);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        using var client = new HubClient(Options(hub.Endpoint));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => HubModel.PullAsync(Repo, "main", Options(hub.Endpoint), null, cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => HubModel.ResolveAsync(Repo, Options(hub.Endpoint), null, cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetRevisionAsync(Repo, "main", cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DownloadAsync(Repo, commit, "config.json", null, cancel.Token));

        Assert.Empty(hub.Requests);
        Assert.Empty(Directory.GetFiles(_cache.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task An_endless_body_with_no_listed_size_is_cut_at_the_cap_and_not_stored()
    {
        using var server = new LoopbackServer(async (request, stream, stop) =>
        {
            if (request.StartsWith("HEAD", StringComparison.Ordinal)) { await stream.WriteAsync(Encoding.ASCII.GetBytes(Head(withLength: false)), stop); return; }
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"u8.ToArray(), stop);
            var chunk = new byte[1 << 16];
            while (true) await stream.WriteAsync(chunk, stop); // until the client hangs up
        });
        using var client = new HubClient(Options(server.Endpoint) with { MaxUnlistedSize = 1_000_000 });

        var e = await Finishes(Assert.ThrowsAsync<HubException>(() => client.DownloadAsync(Repo, Commit, "config.json")));

        Assert.StartsWith($"{Repo}/config.json: the Hub lists no size, and the download passed 1000000 bytes", e.Message);
        Assert.Empty(Directory.GetFiles(_cache.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_git_file_whose_content_does_not_match_its_sha1_etag_is_refused()
    {
        // The right length, so only the git blob hash can tell.
        var wrong = (byte[])Content.Clone();
        wrong[^2] ^= 1;
        using var server = new LoopbackServer(async (request, stream, stop) =>
        {
            if (request.StartsWith("HEAD", StringComparison.Ordinal)) { await stream.WriteAsync(Encoding.ASCII.GetBytes(Head(withLength: false)), stop); return; }
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {wrong.Length}\r\n\r\n"), stop);
            await stream.WriteAsync(wrong, stop);
        });
        using var client = new HubClient(Options(server.Endpoint));

        var e = await Finishes(Assert.ThrowsAsync<HubException>(() => client.DownloadAsync(Repo, Commit, "config.json")));

        Assert.Contains("the download is corrupt: its git blob SHA-1 is", e.Message);
        Assert.Contains(FakeHub.Etag("config.json", Content), e.Message);
        Assert.Empty(Directory.GetFiles(_cache.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_git_file_matching_its_sha1_etag_is_stored()
    {
        using var hub = new FakeHub();
        using var model = TinyModels.Vit(93, DType.F32);
        hub.Add(Repo, model.Directory);

        string snapshot = await HubModel.PullAsync(Repo, "main", Options(hub.Endpoint));

        Assert.Equal(File.ReadAllBytes(Path.Combine(model.Directory, "config.json")), File.ReadAllBytes(Path.Combine(snapshot, "config.json")));
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("http://")]
    [InlineData("ftp://example.org")]
    [InlineData("file:///etc")]
    public async Task An_endpoint_that_is_not_an_http_address_is_refused(string endpoint)
    {
        var e = await Assert.ThrowsAsync<HubException>(() => HubModel.PullAsync(Repo, "main", Options(endpoint)));

        Assert.Equal($"the Hub endpoint '{endpoint}' (HF_ENDPOINT) is not an http(s) address like https://huggingface.co", e.Message);
    }

    /// <summary>
    /// An HTTP server on 127.0.0.1 that hands each request (its head, as text) with the connection's stream to a
    /// handler, one connection per request (answers say "Connection: close"); disposing it cancels the handlers
    /// still waiting.
    /// </summary>
    sealed class LoopbackServer : IDisposable
    {
        readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        readonly CancellationTokenSource _stop = new();
        readonly Func<string, Stream, CancellationToken, Task> _handle;

        public LoopbackServer(Func<string, Stream, CancellationToken, Task> handle)
        {
            _handle = handle;
            _listener.Start();
            Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
            _ = Task.Run(Accept);
        }

        public string Endpoint { get; }

        async Task Accept()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient connection;
                try { connection = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
                _ = Task.Run(() => Serve(connection));
            }
        }

        async Task Serve(TcpClient connection)
        {
            using (connection)
            {
                var stream = connection.GetStream();
                var head = new StringBuilder();
                var one = new byte[1];
                try
                {
                    while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one, _stop.Token) == 1)
                        head.Append((char)one[0]);
                    await _handle(head.ToString(), stream, _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or SocketException) { } // stopped, or the client hung up
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
