using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Sieve.Tests.Hub;

/// <summary>
/// The Hub's endpoints on 127.0.0.1 for the tests: the revision API and <c>resolve</c> with the headers the real
/// Hub sends (X-Repo-Commit, ETag, X-Linked-Etag and X-Linked-Size for LFS files) and byte ranges.
/// </summary>
public sealed class FakeHub : IDisposable
{
    readonly HttpListener _listener = new();
    readonly Dictionary<string, (string Commit, Dictionary<string, byte[]> Files)> _repos = [];
    readonly Task _loop;

    /// <summary>Every request as "METHOD path [range]", in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>When set, requests without <c>Authorization: Bearer</c> this token get 401.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>When set, the next GET of this file sends its first <see cref="DropAfter"/> bytes and then drops the connection.</summary>
    public string? DropFile { get; set; }

    public int DropAfter { get; set; }

    /// <summary>Content served in place of the listed content (the headers still describe the original).</summary>
    public Dictionary<string, byte[]> Tampered { get; } = [];

    public string Endpoint { get; }

    /// <summary>
    /// When set, LFS files are served as the real Hub serves them: <c>resolve</c> answers 302 (with the X-Linked
    /// headers, and the ETag of the pointer file) to <c>/lfs/SHA256</c> on this other server, which sends the bytes.
    /// </summary>
    public FakeHub? LfsRedirect { get; set; }

    /// <summary>Bodies this server sends at <c>/lfs/SHA256</c> (a storage host: no repositories, no token).</summary>
    public ConcurrentDictionary<string, byte[]> Blobs { get; } = new();

    /// <summary>Requests ("METHOD path") that carried an <c>Authorization</c> header, in order.</summary>
    public ConcurrentQueue<string> Authorized { get; } = new();

    /// <summary>How many more requests for a path get 503 Service Unavailable before it is served.</summary>
    public ConcurrentDictionary<string, int> FailNext { get; } = new();

    public FakeHub()
    {
        int port;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    /// <summary>Publishes the files of <paramref name="folder"/> as <paramref name="repoId"/>; returns the commit.</summary>
    public string Add(string repoId, string folder)
    {
        var files = Directory.EnumerateFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        string commit = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(repoId + files.Count)));
        _repos[repoId] = (commit, files);
        return commit;
    }

    public int Count(string prefix) => Requests.Count(r => r.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The ETag the Hub gives a file: SHA-256 for LFS (weights), the git blob SHA-1 otherwise.</summary>
    public static string Etag(string name, byte[] content) => IsLfs(name)
        ? Convert.ToHexStringLower(SHA256.HashData(content))
        : Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));

    static bool IsLfs(string name) => name.EndsWith(".safetensors", StringComparison.Ordinal);

    async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            try { Handle(context); }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { } // the client went away
        }
    }

    void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        string path = Uri.UnescapeDataString(request.Url!.AbsolutePath);
        Requests.Enqueue($"{request.HttpMethod} {path} {request.Headers["Range"]}".TrimEnd());
        if (request.Headers["Authorization"] != null) Authorized.Enqueue($"{request.HttpMethod} {path}");
        if (FailNext.TryGetValue(path, out int failures) && failures > 0)
        {
            FailNext[path] = failures - 1;
            Finish(response, 503);
            return;
        }
        if (path.StartsWith("/lfs/", StringComparison.Ordinal) && Blobs.TryGetValue(path[5..], out var blob))
        {
            ServeBlob(request, response, blob);
            return;
        }
        if (RequiredToken != null && request.Headers["Authorization"] != $"Bearer {RequiredToken}")
        {
            Finish(response, 401);
            return;
        }
        var parts = path.Trim('/').Split('/');
        if (parts.Length == 6 && parts[0] == "api" && parts[1] == "models" && parts[4] == "revision"
            && _repos.TryGetValue($"{parts[2]}/{parts[3]}", out var repo) && (parts[5] == "main" || parts[5] == repo.Commit))
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(new { id = $"{parts[2]}/{parts[3]}", sha = repo.Commit, siblings = repo.Files.Keys.Select(k => new { rfilename = k }) });
            response.ContentType = "application/json";
            response.ContentLength64 = json.Length;
            response.OutputStream.Write(json);
            response.Close();
            return;
        }
        if (parts.Length == 5 && parts[2] == "resolve" && _repos.TryGetValue($"{parts[0]}/{parts[1]}", out repo)
            && (parts[3] == "main" || parts[3] == repo.Commit) && repo.Files.TryGetValue(parts[4], out var content))
        {
            string name = parts[4], etag = Etag(name, content);
            response.Headers["X-Repo-Commit"] = repo.Commit;
            response.Headers["ETag"] = $"\"{etag}\"";
            if (IsLfs(name))
            {
                response.Headers["X-Linked-Etag"] = $"\"{etag}\"";
                response.Headers["X-Linked-Size"] = content.Length.ToString();
                if (LfsRedirect != null)
                {
                    LfsRedirect.Blobs[etag] = Tampered.GetValueOrDefault(name) ?? content;
                    response.Headers["ETag"] = $"\"{Etag("pointer", Encoding.ASCII.GetBytes($"oid sha256:{etag}\nsize {content.Length}\n"))}\"";
                    response.RedirectLocation = $"{LfsRedirect.Endpoint}/lfs/{etag}";
                    Finish(response, 302);
                    return;
                }
            }
            if (request.HttpMethod == "HEAD")
            {
                response.ContentLength64 = content.Length;
                response.Close();
                return;
            }
            var body = Tampered.GetValueOrDefault(name) ?? content;
            long from = StartBody(request, response, body.Length);
            if (DropFile == name)
            {
                DropFile = null;
                response.OutputStream.Write(body, (int)from, DropAfter);
                response.OutputStream.Flush();
                response.Abort(); // the connection ends before the promised length
                return;
            }
            response.OutputStream.Write(body, (int)from, body.Length - (int)from);
            response.Close();
            return;
        }
        Finish(response, 404);
    }

    /// <summary>A storage host's answer: its own ETag (an MD5, as S3 sends), byte ranges.</summary>
    static void ServeBlob(HttpListenerRequest request, HttpListenerResponse response, byte[] body)
    {
        response.Headers["ETag"] = $"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"";
        long from = StartBody(request, response, body.Length);
        response.OutputStream.Write(body, (int)from, body.Length - (int)from);
        response.Close();
    }

    /// <summary>Answers a <c>Range: bytes=N-</c> request with 206 from N on; returns where the body starts.</summary>
    static long StartBody(HttpListenerRequest request, HttpListenerResponse response, int length)
    {
        long from = 0;
        if (request.Headers["Range"] is string range && range.StartsWith("bytes=") && range.EndsWith('-'))
        {
            from = long.Parse(range[6..^1]);
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {from}-{length - 1}/{length}";
        }
        response.ContentLength64 = length - from;
        return from;
    }

    static void Finish(HttpListenerResponse response, int status)
    {
        response.StatusCode = status;
        response.ContentLength64 = 0;
        response.Close();
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
