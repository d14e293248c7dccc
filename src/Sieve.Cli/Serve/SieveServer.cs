using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Sieve.Cli.Serve;

/// <summary>
/// <c>sieve serve</c>'s HTTP server (Kestrel): the task endpoints of <see cref="ServeTasks"/>, the web UI at <c>GET /</c>, <c>GET /healthz</c>
/// and <c>GET /metrics</c>, over one <see cref="MicroBatcher"/>. Stateless: every request carries all it needs, so
/// replicas behind any load balancer answer alike. Stopping (SIGTERM, Ctrl+C, <see cref="StopAsync"/>) stops
/// accepting connections and answers every request already accepted before it returns.
/// </summary>
internal sealed class SieveServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly MicroBatcher _batcher;

    SieveServer(WebApplication app, MicroBatcher batcher, ServeMetrics metrics) => (_app, _batcher, Metrics) = (app, batcher, metrics);

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:8080</c> (the real port when 0 was asked for).</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>The server's metrics.</summary>
    public ServeMetrics Metrics { get; }

    /// <summary>Starts serving <paramref name="model"/> on <paramref name="host"/>:<paramref name="port"/> (0: any free port).</summary>
    /// <exception cref="IOException">The address is in use or cannot be bound.</exception>
    public static async Task<SieveServer> StartAsync(ServedModel model, ServeSettings settings, IPAddress host, int port, TextWriter log)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders(); // the server reports on its own lines (stderr); results go in responses
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        // On SIGTERM requests already accepted are answered: each within the request timeout, so that bounds the drain.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.RequestTimeout + TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.Limits.MaxRequestBodySize = settings.MaxBodyBytes;
            o.Listen(host, port);
        });
        var app = builder.Build();
        var metrics = new ServeMetrics();
        var batcher = new MicroBatcher(settings, metrics);
        app.Lifetime.ApplicationStopping.Register(batcher.Drain); // requests accepted before a stop need not wait for their batch to fill
        var labels = new LabelEmbeddingCache(settings.LabelCache, metrics);
        app.MapGet("/", () => Results.Content(ServeWebPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Json(new
        {
            status = "ok", model = model.Id, family = model.Family.ToString(), reducer = model.DefaultReducer,
            tasks = ServeTasks.All.Where(e => e.Serves(model.Dense)).Select(e => e.Task),
        }));
        app.MapMetrics("/metrics", metrics.Registry);
        foreach (var endpoint in ServeTasks.All)
            app.MapPost(endpoint.Path, (HttpContext http) => Answer(http, endpoint, model, settings, batcher, labels, metrics, log));
        try
        {
            await app.StartAsync();
        }
        catch (Exception e)
        {
            await batcher.DisposeAsync();
            throw new IOException($"cannot listen on {host}:{port}: {e.Message}", e);
        }
        return new SieveServer(app, batcher, metrics);
    }

    static async Task Answer(HttpContext http, ServeEndpoint endpoint, ServedModel model, ServeSettings settings, MicroBatcher batcher, LabelEmbeddingCache labels,
        ServeMetrics metrics, TextWriter log)
    {
        long start = Stopwatch.GetTimestamp();
        using var inFlight = metrics.InFlight.TrackInProgress();
        int status = 200;
        object response;
        try
        {
            var request = new ServeRequest(endpoint, await ReadBody(http), model, settings, batcher, labels, metrics, http.RequestAborted);
            response = await endpoint.Handle(request);
        }
        catch (ServeRequestException e)
        {
            status = e.Status;
            if (status == 429) http.Response.Headers.RetryAfter = "1";
            response = Error(e.Message, status, e.Param);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            status = 499; // the client went away; nobody reads this answer
            response = Error("the client closed the request", status, null);
        }
        catch (Exception e)
        {
            status = 500;
            lock (log) log.WriteLine($"error: {endpoint.Path}: {e}");
            response = Error($"internal error: {e.Message}", status, null);
        }
        metrics.Requests.WithLabels(endpoint.Path, status.ToString()).Inc();
        metrics.Latency.WithLabels(endpoint.Path).Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        if (http.RequestAborted.IsCancellationRequested) return;
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(response, http.RequestAborted);
    }

    /// <summary>The request body as a JSON object: 400 when it is not one, 413 past the body limit.</summary>
    static async Task<JsonElement> ReadBody(HttpContext http)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw ServeRequestException.Bad($"the request body must be a JSON object, got {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw ServeRequestException.Bad($"malformed JSON: {e.Message}");
        }
        catch (BadHttpRequestException e)
        {
            throw new ServeRequestException(e.StatusCode, e.StatusCode == 413 ? $"request body larger than the server's limit ({http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize:N0} bytes)" : e.Message);
        }
    }

    /// <summary>OpenAI's error shape: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
    static object Error(string message, int status, string? param) => new
    {
        error = new
        {
            message,
            type = status switch { 429 => "rate_limit_exceeded", 504 => "timeout", >= 500 => "server_error", _ => "invalid_request_error" },
            param,
            code = status,
        },
    };

    /// <summary>Waits until the host is told to stop (SIGTERM, Ctrl+C) and has stopped.</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    /// <summary>Stops accepting, answers every accepted request, then stops the batches.</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync();
        await _batcher.DisposeAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
