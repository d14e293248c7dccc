using System.Net;
using System.Security.Cryptography;
using System.Text.Json;

namespace Sieve.Hub;

/// <summary>
/// Talks to the Hugging Face Hub over HTTP and fills a <see cref="HubCache"/>: revision look-ups through
/// <c>/api/models/REPO/revision/REV</c>, file downloads through <c>/REPO/resolve/COMMIT/FILE</c>. Downloads
/// go to <c>blobs/&lt;etag&gt;.incomplete</c>, resume from where they stopped, are checked against the size and
/// the hash the Hub lists (the SHA-256 of an LFS file, the git blob SHA-1 of any other), and only then take
/// their final name. A server that does not answer or stalls within <see cref="HubOptions.ReadTimeout"/> is
/// retried like a dropped connection. Every operation takes a <see cref="CancellationToken"/>: cancelling it ends
/// the operation at once with <see cref="OperationCanceledException"/> (never retried, never reported as a
/// time-out), and a download cancelled midway keeps its <c>.incomplete</c> file to resume from.
/// </summary>
internal sealed class HubClient : IDisposable
{
    const int MaxRedirects = 10;

    readonly HubOptions _options;
    readonly Uri _endpoint;
    // Redirects are followed by hand: metadata comes from the Hub's own answer (not the CDN's), and the
    // token must not travel to another host.
    // Time-outs are per step (connect, answer, each read), so HttpClient's own limit on a whole request is off:
    // a large download may take as long as it keeps moving.
    readonly HttpClient _http;

    /// <summary>A client for the Hub and cache that <paramref name="options"/> name.</summary>
    /// <exception cref="HubException">The endpoint is not an http or https address.</exception>
    public HubClient(HubOptions options)
    {
        _options = options;
        _endpoint = Uri.TryCreate(options.Endpoint.TrimEnd('/') + "/", UriKind.Absolute, out var endpoint)
            && endpoint.Scheme is "http" or "https" && endpoint.Host.Length > 0
                ? endpoint
                : throw new HubException($"the Hub endpoint '{options.Endpoint}' (HF_ENDPOINT) is not an http(s) address like {HubOptions.DefaultEndpoint}");
        _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = options.ConnectTimeout })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        Cache = new HubCache(options.CacheDirectory);
    }

    /// <summary>The cache downloads go to.</summary>
    public HubCache Cache { get; }

    /// <summary>The commit <paramref name="revision"/> (a branch, tag or commit) of <paramref name="repoId"/> points at, and the repository's files there.</summary>
    /// <param name="repoId">The repository id, <c>org/name</c>.</param>
    /// <param name="revision">A branch, tag or commit hash.</param>
    /// <param name="cancellationToken">Ends the look-up with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="HubException">Offline mode, a missing repository or revision, a refused token, or a failure that outlasted the retries.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<HubRevision> GetRevisionAsync(string repoId, string revision, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string what = $"{repoId} (revision {revision})";
        if (_options.Offline) throw new HubException($"{what} is not in the cache and HF_HUB_OFFLINE is set");
        var uri = new Uri(_endpoint, $"api/models/{repoId}/revision/{Uri.EscapeDataString(revision)}");
        byte[] body = await WithRetriesAsync(what, async token =>
        {
            using var response = await SendAsync(HttpMethod.Get, uri, 0, token).ConfigureAwait(false);
            Check(response, what);
            return await WithinReadTimeoutAsync(step => response.Content.ReadAsByteArrayAsync(step), token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            string commit = root.GetProperty("sha").GetString() ?? "";
            if (!HubCache.CommitPattern().IsMatch(commit)) throw new HubException($"{what}: the Hub answered with '{commit}', not a commit hash");
            var files = root.TryGetProperty("siblings", out var siblings)
                ? siblings.EnumerateArray().Select(s => s.GetProperty("rfilename").GetString()!).ToList()
                : [];
            return new HubRevision(commit, files);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new HubException($"{what}: the Hub's answer is not the expected JSON ({e.Message})", e);
        }
    }

    /// <summary>
    /// <paramref name="file"/> of <paramref name="repoId"/> at <paramref name="commit"/> in the snapshot folder,
    /// downloaded unless the cache already holds it.
    /// </summary>
    /// <param name="repoId">The repository id, <c>org/name</c>.</param>
    /// <param name="commit">The full commit hash (from <see cref="GetRevisionAsync"/>).</param>
    /// <param name="file">The file's name in the repository.</param>
    /// <param name="progress">Told how far the download has come, on the downloading thread.</param>
    /// <param name="cancellationToken">Ends the download with <see cref="OperationCanceledException"/>; what has arrived stays in <c>.incomplete</c> for the next try.</param>
    /// <returns>The file's path in the snapshot folder.</returns>
    /// <exception cref="HubException">See <see cref="GetRevisionAsync"/>; also a download whose size or checksum is wrong.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<string> DownloadAsync(string repoId, string commit, string file, IProgress<HubDownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string target = Cache.SnapshotFile(repoId, commit, file);
        if (File.Exists(target)) return target; // follows the link: true only when the blob is there too
        string what = $"{repoId}/{file}";
        if (_options.Offline) throw new HubException($"{what} is not in the cache and HF_HUB_OFFLINE is set");
        var uri = new Uri(_endpoint, $"{repoId}/resolve/{commit}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");
        var (etag, size) = await WithRetriesAsync(what, token => MetadataAsync(uri, what, token), cancellationToken).ConfigureAwait(false);
        string blob = Cache.BlobPath(repoId, etag);
        if (!File.Exists(blob)) await FetchAsync(uri, what, file, blob, etag, size, progress, cancellationToken).ConfigureAwait(false);
        return Cache.Link(repoId, commit, file, etag);
    }

    /// <summary>The ETag and size the Hub lists for a file (for LFS files: the SHA-256 and size of the content, not of the pointer).</summary>
    async Task<(string Etag, long? Size)> MetadataAsync(Uri uri, string what, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Head, uri, 0, cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode is >= 300 and < 400 && Header(response, "X-Linked-Etag") == null && response.Headers.ETag == null)
            throw new HubException($"{what}: the Hub redirected without naming the file's ETag");
        if ((int)response.StatusCode is < 300 or >= 400) Check(response, what);
        string? etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag;
        if (etag == null) throw new HubException($"{what}: the Hub sent no ETag, so the download could not be checked");
        etag = etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag;
        long? size = long.TryParse(Header(response, "X-Linked-Size"), out long linked) ? linked : response.Content.Headers.ContentLength;
        return (etag.Trim('"'), size);
    }

    async Task FetchAsync(Uri uri, string what, string file, string blob, string etag, long? size, IProgress<HubDownloadProgress>? progress,
        CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        string partial = blob + ".incomplete";
        await WithRetriesAsync(what, token => TransferAsync(uri, what, file, partial, size, progress, token), cancellationToken).ConfigureAwait(false);
        long length = new FileInfo(partial).Length;
        if (size is long expected && length != expected)
        {
            File.Delete(partial);
            throw new HubException($"{what}: downloaded {length} bytes, but the Hub lists {expected}; the partial file was deleted, try again");
        }
        // LFS files are named by the SHA-256 of their content, other files by their git blob SHA-1; an ETag of
        // another form (a mirror's) names nothing we can check, and the size check above is all there is.
        bool sha256 = etag.Length == 64, sha1 = etag.Length == 40;
        string hash = sha256 ? "SHA-256" : "git blob SHA-1";
        if ((sha256 || sha1) && etag.All(char.IsAsciiHexDigitLower) && await ContentHashAsync(partial, length, sha256, cancellationToken).ConfigureAwait(false) is var actual && actual != etag)
        {
            File.Delete(partial);
            throw new HubException($"{what}: the download is corrupt: its {hash} is {actual}, the Hub lists {etag}; the partial file was deleted, try again");
        }
        File.Move(partial, blob, overwrite: true);
    }

    /// <summary>The SHA-256 of the file, or its git blob SHA-1: SHA-1 of "blob LENGTH\0" and the content.</summary>
    static async Task<string> ContentHashAsync(string path, long length, bool sha256, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        if (sha256) return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(System.Text.Encoding.ASCII.GetBytes($"blob {length}\0"));
        var buffer = new byte[1 << 20];
        for (int n; (n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0;) sha1.AppendData(buffer, 0, n);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    /// <summary>Appends the rest of the file to <paramref name="partial"/>, starting over when the server ignores the range.</summary>
    async Task<bool> TransferAsync(Uri uri, string what, string file, string partial, long? size, IProgress<HubDownloadProgress>? progress,
        CancellationToken cancellationToken)
    {
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (size is long known && have >= known)
        {
            if (have == known) return true; // finished by an earlier attempt or run; only the checks are left
            File.Delete(partial);
            have = 0;
        }
        using var response = await SendAsync(HttpMethod.Get, uri, have, cancellationToken).ConfigureAwait(false);
        Check(response, what);
        if (response.StatusCode != HttpStatusCode.PartialContent) have = 0;
        long? total = size ?? response.Content.Headers.ContentRange?.Length ?? have + response.Content.Headers.ContentLength;
        await using var output = new FileStream(partial, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using var input = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[1 << 20];
        progress?.Report(new HubDownloadProgress(file, have, total));
        // A body longer than the listed size (or than the cap, when none is listed) would never end well.
        long limit = size ?? _options.MaxUnlistedSize;
        for (int n; (n = await WithinReadTimeoutAsync(step => input.ReadAsync(buffer, step).AsTask(), cancellationToken).ConfigureAwait(false)) > 0;)
        {
            // Not cancelled between read and write: what arrived is kept, so a resume starts after it.
            await output.WriteAsync(buffer.AsMemory(0, n), CancellationToken.None).ConfigureAwait(false);
            have += n;
            progress?.Report(new HubDownloadProgress(file, have, total));
            if (have > limit)
            {
                await output.DisposeAsync().ConfigureAwait(false);
                File.Delete(partial);
                throw new HubException(size == null
                    ? $"{what}: the Hub lists no size, and the download passed {limit} bytes, the most accepted for such a file (HubOptions.MaxUnlistedSize); the partial file was deleted"
                    : $"{what}: the server sent more than the {limit} bytes the Hub lists; the partial file was deleted, try again");
            }
        }
        return true;
    }

    /// <summary>Sends a request, following redirects; <paramref name="from"/> &gt; 0 asks for the bytes from there on.</summary>
    async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, long from, CancellationToken cancellationToken)
    {
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (_options.Token != null && uri.Authority == _endpoint.Authority)
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _options.Token);
            if (from > 0) request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(from, null);
            var response = await WithinReadTimeoutAsync(step => _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, step), cancellationToken)
                .ConfigureAwait(false);
            bool redirect = (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location != null;
            // The Hub's HEAD answer for an LFS file is itself a redirect carrying the metadata.
            if (!redirect || (method == HttpMethod.Head && (Header(response, "X-Linked-Etag") != null || response.Headers.ETag != null)))
                return response;
            if (hop == MaxRedirects) throw new HubException($"{uri}: more than {MaxRedirects} redirects");
            uri = new Uri(uri, response.Headers.Location!);
            response.Dispose();
        }
    }

    void Check(HttpResponseMessage response, string what)
    {
        int code = (int)response.StatusCode;
        if (response.IsSuccessStatusCode) return;
        if (code is 401 or 403)
            throw new HubException(_options.Token == null
                ? $"{what} needs a token: set HF_TOKEN (the Hub answered {code} {response.ReasonPhrase})"
                : $"{what}: the Hub refused the token in HF_TOKEN ({code} {response.ReasonPhrase})");
        if (code == 404) throw new HubException($"repository or file not found: {what}");
        if (code is 429 or >= 500) throw new TransientFailure($"{code} {response.ReasonPhrase}");
        throw new HubException($"{what}: the Hub answered {code} {response.ReasonPhrase}");
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> up to <see cref="HubOptions.Attempts"/> times while it fails in a way a retry
    /// can fix; a cancelled <paramref name="cancellationToken"/> ends it at once, between attempts too.
    /// </summary>
    async Task<T> WithRetriesAsync<T>(string what, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        for (int i = 1; ; i++)
        {
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TransientFailure or HttpRequestException or IOException)
            {
                // A connection torn down by the cancel may surface as an I/O error: it is the cancel, not a failure to retry.
                cancellationToken.ThrowIfCancellationRequested();
                if (i >= _options.Attempts)
                    throw new HubException($"{what}: failed after {i} attempts: {e.Message}", e);
                await Task.Delay(_options.RetryDelay * (1 << (i - 1)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs one network step, failing it as transient when it has not finished within <see cref="HubOptions.ReadTimeout"/>.
    /// The deadline is linked to <paramref name="cancellationToken"/>, so a cancel is told apart from a time-out and
    /// propagates as <see cref="OperationCanceledException"/>.
    /// </summary>
    async Task<T> WithinReadTimeoutAsync<T>(Func<CancellationToken, Task<T>> step, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ReadTimeout);
        try
        {
            return await step(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Not the caller's cancel: our deadline, or else the handler's connect time-out, which it reports as a cancellation.
            throw new TransientFailure(deadline.IsCancellationRequested
                ? $"the server did not answer within {Seconds(_options.ReadTimeout)} (HF_HUB_DOWNLOAD_TIMEOUT)"
                : $"no connection to the server within {Seconds(_options.ConnectTimeout)} (HF_HUB_DOWNLOAD_TIMEOUT)");
        }
    }

    static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.###} s";

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>A server error or rate limit: worth another try.</summary>
    sealed class TransientFailure(string message) : Exception(message);

    /// <summary>Closes the connections.</summary>
    public void Dispose() => _http.Dispose();
}
