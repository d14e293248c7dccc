using System.CommandLine;
using System.Net;
using System.Text.Json;
using Sieve.Cli.Serve;
using Sieve.Models;
using SkiaSharp;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve loadtest --url http://127.0.0.1:PORT [--clients N] [--seconds T] [--requests N] [--task …]</c>: concurrent
/// clients against a running <c>sieve serve</c> on this machine; throughput, p50/p99 latency, 429s, errors, lost
/// requests and the server's batch sizes.
/// </summary>
internal static class LoadtestCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The server, on this machine only: http://127.0.0.1:PORT or http://localhost:PORT", Required = true };
        var clients = NumberOptions.Integer("--clients", "Concurrent clients, each sending its next request when the last is answered", 16, 1, 4096);
        var seconds = NumberOptions.Integer("--seconds", "How long to send requests", 10, 1, 3600);
        var requests = NumberOptions.Integer("--requests", "Most requests to send in all", 100_000, 1, 10_000_000);
        var task = new Option<string>("--task") { Description = "image (image embeddings), text (text embeddings), classify, zeroshot or vqa", DefaultValueFactory = _ => "image" };
        task.AcceptOnlyFromAmong("image", "text", "classify", "zeroshot", "vqa");
        var image = new Option<string?>("--image") { Description = "Image every request sends (default: a generated 224×224 PNG)" };
        var reducer = new Option<string?>("--reducer", "-r") { Description = "Reducer spec each request names (default: the server's)" };
        var overload = new Option<bool>("--overload") { Description = "On 429 send again at once instead of waiting Retry-After: keeps the queue full" };
        var library = new Option<string?>("--library") { Description = "The server's model folder: after the load, also time the library on the same image in this process (decode, preprocess, forward; as many inputs as were answered) and print served ÷ library (--task classify or image)" };
        var batch = NumberOptions.Integer("--batch", "Inputs per throughput batch of the --library run (the server's --max-batch)", 16, 1, 1024);
        var json = EvalOptions.Json();
        var command = new Command("loadtest", "Load a running `sieve serve` on this machine: throughput, p50/p99 latency, 429s, errors, lost requests, batch sizes")
            { url, clients, seconds, requests, task, image, reducer, overload, library, batch, json };
        command.SetAction(async (r, cancellationToken) =>
        {
            var server = LoopbackServer(r.GetValue(url)!);
            string taskName = r.GetValue(task)!;
            IImageEncoder? baseline = null;
            if (r.GetValue(library) is { } folder)
            {
                if (taskName is not ("classify" or "image"))
                    throw new ArgumentException($"--library times image inputs: give --task classify or image, not {taskName}");
                string dir = await CliOptions.ResolveModelAsync(folder, quiet: true, cancellationToken);
                var dense = ModelFolder.Load(dir);
                if (taskName == "classify" && dense is not VitModel) throw new ArgumentException($"--library '{UsageError.Echo(folder)}' is not a timm ViT classifier; --task classify needs one");
                // The reducer the requests run under: theirs, else the server's default.
                string servedSpec = r.GetValue(reducer) ?? await ServerReducer(server, cancellationToken);
                baseline = (IImageEncoder)dense.WithReduction(CliOptions.Reduction(servedSpec, null, dir, textTower: false).Spec);
            }
            var (mediaType, bytes) = ImageBytes(r.GetValue(image));
            string picture = $"data:image/{mediaType};base64,{Convert.ToBase64String(bytes)}";
            string? spec = r.GetValue(reducer);
            var (path, body) = taskName switch
            {
                "text" => ("/v1/embeddings", (object)new { input = "a photo of a cat sitting on a mat", reducer = spec }),
                "classify" => ("/v1/classify", new { image = picture, reducer = spec }),
                "zeroshot" => ("/v1/zeroshot", new { image = picture, labels = new[] { "cat", "dog", "car" }, templates = new[] { "a photo of a {}." }, reducer = spec }),
                "vqa" => ("/v1/vqa", new { image = picture, question = "what is in the picture?", reducer = spec }),
                _ => ("/v1/embeddings", new { input = picture, reducer = spec }),
            };
            var report = await LoadGenerator.RunAsync(server, path, JsonSerializer.Serialize(body), r.GetValue(clients), TimeSpan.FromSeconds(r.GetValue(seconds)),
                r.GetValue(requests), r.GetValue(overload), cancellationToken);
            double? libraryThroughput = baseline == null ? null
                : LibraryBaseline.Measure(baseline, taskName == "classify", bytes, r.GetValue(batch), report.Answered);
            Write(report, r.GetValue(clients), path, libraryThroughput, r.GetValue(batch), r.GetValue(json));
            return report.Failed == 0 && report.Lost == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>The URL, refused unless it names this machine: the load test sends traffic nowhere else.</summary>
    static Uri LoopbackServer(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
            throw new ArgumentException($"--url must be an http:// URL, got '{UsageError.Echo(text)}'");
        bool loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
        if (!loopback) throw new ArgumentException($"--url '{UsageError.Echo(text)}' is not on this machine; the load test only targets 127.0.0.1, ::1 or localhost");
        return new Uri(uri.GetLeftPart(UriPartial.Authority));
    }

    /// <summary>The server's default reducer spec, from <c>/healthz</c>.</summary>
    static async Task<string> ServerReducer(Uri server, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = server };
        try
        {
            using var health = JsonDocument.Parse(await http.GetStringAsync("/healthz", cancellationToken));
            return health.RootElement.GetProperty("reducer").GetString()!;
        }
        catch (HttpRequestException e) { throw new IOException($"cannot read {server}healthz: {e.Message}; is `sieve serve` running there?", e); }
    }

    /// <summary>The image every request sends, as its media subtype and bytes: <paramref name="file"/>, else a generated 224×224 PNG.</summary>
    static (string MediaType, byte[] Bytes) ImageBytes(string? file)
    {
        if (file != null)
        {
            if (!File.Exists(file)) throw new SieveFormatException($"--image '{UsageError.Echo(file)}' does not exist");
            Sieve.Data.ImageDecoder.Decode(file); // refuse what the server would refuse, before any traffic
            return (Path.GetExtension(file).ToLowerInvariant() is ".png" ? "png" : "jpeg", File.ReadAllBytes(file));
        }
        using var bitmap = new SKBitmap(224, 224);
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 224; x++) bitmap.SetPixel(x, y, new SKColor((byte)x, (byte)y, (byte)((x * y) >> 8)));
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return ("png", png.ToArray());
    }

    static void Write(LoadReport report, int clients, string path, double? library, int batch, bool json)
    {
        if (json)
        {
            CliConsole.WriteRaw(JsonSerializer.Serialize(new
            {
                endpoint = path, clients, seconds = report.Seconds, answered = report.Answered, refused_429 = report.Refused, failed = report.Failed,
                lost = report.Lost, throughput = report.Throughput, p50_ms = report.LatencyP50Ms, p99_ms = report.LatencyP99Ms,
                batch_sizes = report.BatchSizes.Select(b => new { up_to = b.UpTo, batches = b.Batches }),
                library_throughput = library, served_over_library = report.Throughput / library,
            }));
            return;
        }
        CliConsole.WriteRaw($"{path}, {clients} clients, {report.Seconds:0.0} s");
        CliConsole.WriteRaw($"answered     {report.Answered} (429 refused: {report.Refused}, other errors: {report.Failed}, lost: {report.Lost})");
        CliConsole.WriteRaw($"throughput   {report.Throughput:0.0} requests/s");
        CliConsole.WriteRaw($"latency      p50 {report.LatencyP50Ms:0.0} ms, p99 {report.LatencyP99Ms:0.0} ms");
        CliConsole.WriteRaw($"batch sizes  {string.Join(", ", report.BatchSizes.Select(b => $"≤{b.UpTo}: {b.Batches}"))}");
        if (library is { } l)
            CliConsole.WriteRaw($"library      {l:0.0} inputs/s (same image, decode + preprocess + forward, batches of {batch}, this process); served ÷ library {report.Throughput / l:0.00}");
    }
}
