using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Sieve.Cli.Serve;

/// <summary>What one load test saw.</summary>
/// <param name="Seconds">Wall time of the run.</param>
/// <param name="Answered">Requests answered 200.</param>
/// <param name="Refused">Requests refused with 429 (queue full).</param>
/// <param name="Failed">Requests answered with another status.</param>
/// <param name="Lost">Requests that got no answer at all (connection dropped, client timeout).</param>
/// <param name="LatencyP50Ms">Median latency of the answered requests, ms.</param>
/// <param name="LatencyP99Ms">99th percentile latency of the answered requests, ms.</param>
/// <param name="BatchSizes">The server's batches during the run (from <c>/metrics</c>): count per histogram bucket, by upper bound.</param>
internal sealed record LoadReport(double Seconds, int Answered, int Refused, int Failed, int Lost, double LatencyP50Ms, double LatencyP99Ms,
    IReadOnlyList<(string UpTo, double Batches)> BatchSizes)
{
    /// <summary>Answered requests per second.</summary>
    public double Throughput => Answered / Seconds;
}

/// <summary>
/// Closed-loop load on a <c>sieve serve</c> at a loopback address: each client sends one request, waits for its answer,
/// and sends the next, until the time or the request budget is spent. A 429 is waited out (its <c>Retry-After</c>)
/// unless <c>overload</c>, where clients send again at once to keep the queue full.
/// </summary>
internal static class LoadGenerator
{
    /// <summary>Runs the load; <paramref name="body"/> is the JSON every request sends to <paramref name="path"/>.</summary>
    public static async Task<LoadReport> RunAsync(Uri server, string path, string body, int clients, TimeSpan duration, int maxRequests, bool overload,
        CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = server, Timeout = TimeSpan.FromMinutes(5) };
        var before = await BatchBuckets(http, cancellationToken);
        // Encoded once: the clients share the machine with the server, so per-request encoding would be load the server pays for.
        var bytes = Encoding.UTF8.GetBytes(body);
        var contentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        int sent = 0, refused = 0, failed = 0, lost = 0;
        var latencies = new List<double>[clients];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = [];
            while (clock.Elapsed < duration && Interlocked.Increment(ref sent) <= maxRequests && !cancellationToken.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new ByteArrayContent(bytes);
                    content.Headers.ContentType = contentType;
                    using var response = await http.PostAsync(path, content, CancellationToken.None);
                    await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                    if (response.StatusCode == HttpStatusCode.OK) mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    else if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        Interlocked.Increment(ref refused);
                        if (!overload) await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), CancellationToken.None);
                    }
                    else Interlocked.Increment(ref failed);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref lost);
                }
            }
        }, CancellationToken.None)));
        double seconds = clock.Elapsed.TotalSeconds;
        var after = await BatchBuckets(http, cancellationToken);
        var all = latencies.SelectMany(l => l).Order().ToArray();
        // The histogram is cumulative: each bucket's own batches are its count less the previous bucket's.
        var during = after.Select(b => (b.UpTo, Count: b.Count - before.FirstOrDefault(x => x.UpTo == b.UpTo).Count)).ToList();
        var own = during.Select((b, i) => (b.UpTo, i == 0 ? b.Count : b.Count - during[i - 1].Count)).Where(b => b.Item2 > 0).ToList();
        return new LoadReport(seconds, all.Length, refused, failed, lost, Percentile(all, 0.50), Percentile(all, 0.99), own);
    }

    /// <summary>Nearest-rank percentile of sorted values; 0 when there are none.</summary>
    static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The cumulative <c>sieve_batch_size</c> buckets the server reports now.</summary>
    static async Task<List<(string UpTo, double Count)>> BatchBuckets(HttpClient http, CancellationToken cancellationToken)
    {
        string text;
        try { text = await http.GetStringAsync("/metrics", cancellationToken); }
        catch (HttpRequestException e) { throw new IOException($"cannot read {http.BaseAddress}metrics: {e.Message}; is `sieve serve` running there?", e); }
        const string prefix = "sieve_batch_size_bucket{le=\"";
        return text.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l =>
        {
            int close = l.IndexOf('"', prefix.Length);
            return (l[prefix.Length..close], double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        }).ToList();
    }
}
