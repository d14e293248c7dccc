using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sieve.Cli.Serve;
using Sieve.Tensors;
using Sieve.Tests.Data;

namespace Sieve.Tests.Serve;

/// <summary>A real <c>sieve serve</c> server (Kestrel on a free loopback port) over a model folder, and a client for it.</summary>
internal sealed class ServeHarness : IAsyncDisposable
{
    public static readonly ServeSettings Defaults = new(MaxBatch: 16, MaxWait: TimeSpan.FromMilliseconds(5), QueueCapacity: 256,
        RequestTimeout: TimeSpan.FromSeconds(60), MaxBodyBytes: 1 << 20, MaxImageSide: 256, AllowDamagedImages: false, LabelCache: 64, WarmupInputs: 0);

    readonly SieveServer _server;

    public HttpClient Client { get; }

    ServeHarness(SieveServer server)
    {
        _server = server;
        Client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
    }

    public static async Task<ServeHarness> StartAsync(string modelDirectory, ServeSettings? settings = null, string reducer = "none") =>
        new(await SieveServer.StartAsync(new ServedModel("tiny", modelDirectory, Precision.Float32, reducer), settings ?? Defaults,
            IPAddress.Loopback, 0, TextWriter.Null));

    /// <summary>POSTs <paramref name="body"/> (an object serialised as JSON, or raw text) and returns the status and parsed JSON answer.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string path, object body)
    {
        using HttpContent content = body is string raw ? new StringContent(raw, System.Text.Encoding.UTF8, "application/json") : JsonContent.Create(body);
        var response = await Client.PostAsync(path, content);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    /// <summary>Waits until the metric <paramref name="sample"/> reaches <paramref name="value"/>; fails (never hangs) after 60 s.</summary>
    public async Task UntilAsync(string sample, double value)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await MetricAsync(sample) < value)
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60)) Assert.Fail($"{sample} never reached {value} in 60 s (it is {await MetricAsync(sample)})");
            await Task.Delay(10);
        }
    }

    /// <summary>The value of one sample line of <c>/metrics</c> (e.g. <c>sieve_batch_size_count</c>), 0 when absent.</summary>
    public async Task<double> MetricAsync(string sample)
    {
        string text = await Client.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(sample + " ", StringComparison.Ordinal));
        return line == null ? 0 : double.Parse(line[(sample.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A seeded random RGB PNG as a data URL.</summary>
    public static string Png(int seed, int width = 40, int height = 36) => "data:image/png;base64," + Convert.ToBase64String(PngBytes(seed, width, height));

    public static byte[] PngBytes(int seed, int width = 40, int height = 36)
    {
        var samples = new byte[width * height * 3];
        new Random(seed).NextBytes(samples);
        return TestPng.Encode(width, height, TestPng.ColorType.Rgb, samples);
    }

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    public Task StopAsync() => _server.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _server.DisposeAsync();
    }
}
