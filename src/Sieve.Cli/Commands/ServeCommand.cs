using System.CommandLine;
using System.Net;
using Sieve.Cli.Serve;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve serve --model DIR [--reducer SPEC] [--port N] …</c>: the model behind an HTTP API (embeddings in OpenAI's
/// schema, classify, zero-shot, VQA, BLIP captions and matching) with dynamic micro-batching, a bounded queue and Prometheus metrics.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var reducer = CliOptions.Reducer();
        reducer.Description += " (the default of requests that name no \"reducer\")";
        var precision = CliOptions.Precision();
        var threads = CliOptions.Threads();
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0 for every interface, as behind a load balancer)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = NumberOptions.Integer("--port", "TCP port (0: any free port, printed at start)", 8080, 0, 65535);
        var maxBatch = NumberOptions.Integer("--max-batch", "Most inputs run together in one batch", 16, 1, 1024);
        var maxWait = NumberOptions.Integer("--max-wait-ms", "How long a batch that is not full waits for more inputs", 5, 0, 10_000);
        var queue = NumberOptions.Integer("--queue", "Most inputs waiting for a batch; past it requests get 429 with Retry-After", 256, 1, 1_000_000);
        var timeout = NumberOptions.Integer("--timeout-ms", "Per-request time limit, queueing included (past it: 504)", 30_000, 1, 3_600_000);
        var maxBody = NumberOptions.Integer("--max-body-mb", "Largest request body in MiB (past it: 413)", 16, 1, 2048);
        var maxSide = NumberOptions.Integer("--max-image-side", "Largest image width or height in pixels (past it: 400)", 4096, 16, 65_535);
        var warmup = NumberOptions.Integer("--warmup", "Example inputs run through each image tower before listening, so the first requests find the code optimised (0: none)", 16, 0, 10_000);
        var labelCache = NumberOptions.Integer("--label-cache", "Most zero-shot label sets whose text embeddings are kept across requests (0: none)", 64, 0, 100_000);
        var command = new Command("serve", "Serve the model over HTTP: POST /v1/embeddings (OpenAI schema), /v1/classify, /v1/zeroshot, /v1/vqa, /v1/caption, /v1/match; GET /healthz, /metrics")
            { model, reducer, precision, host, port, maxBatch, maxWait, queue, timeout, maxBody, maxSide, labelCache, warmup, threads };
        // A synchronous action: SIGTERM and Ctrl+C then reach the web host, which stops accepting and answers every
        // accepted request before the command returns 0 (an async action would be cut off by the parser's 2 s limit).
        command.SetAction(r =>
        {
            CliOptions.ApplyThreads(r.GetValue(threads));
            if (!IPAddress.TryParse(r.GetValue(host), out var address))
                throw new ArgumentException($"--host must be an IP address (127.0.0.1, 0.0.0.0, ::1), got '{UsageError.Echo(r.GetValue(host)!)}'");
            string argument = r.GetValue(model)!;
            string dir = CliOptions.ResolveModelAsync(argument).GetAwaiter().GetResult();
            var served = new ServedModel(argument, dir, r.GetValue(precision), r.GetValue(reducer)!);
            var settings = new ServeSettings(r.GetValue(maxBatch), TimeSpan.FromMilliseconds(r.GetValue(maxWait)), r.GetValue(queue),
                TimeSpan.FromMilliseconds(r.GetValue(timeout)), r.GetValue(maxBody) * 1024L * 1024L, r.GetValue(maxSide), CliOptions.AllowDamagedImagesInRun,
                r.GetValue(labelCache), r.GetValue(warmup));
            var log = CliConsole.Error.Profile.Out.Writer;
            Serve(served, settings, address, r.GetValue(port), log).GetAwaiter().GetResult();
            return 0;
        });
        return command;
    }

    static async Task Serve(ServedModel model, ServeSettings settings, IPAddress host, int port, TextWriter log)
    {
        if (settings.WarmupInputs > 0)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            model.WarmUp(settings.WarmupInputs);
            log.WriteLine($"sieve serve: warmed up on {settings.WarmupInputs} example inputs per image tower ({System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s)");
        }
        var server = await SieveServer.StartAsync(model, settings, host, port, log);
        log.WriteLine($"sieve serve: {model.Family} '{model.Id}' listening on {server.Address} (Ctrl+C or SIGTERM stops it)");
        log.Flush();
        await server.WaitForShutdownAsync();
        await server.DisposeAsync();
        log.WriteLine("sieve serve: stopped; every accepted request was answered");
    }
}
