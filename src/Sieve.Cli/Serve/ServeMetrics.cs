using Prometheus;

namespace Sieve.Cli.Serve;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (so two servers in one process, as in tests, count apart),
/// exported at <c>/metrics</c> in the Prometheus text format.
/// </summary>
internal sealed class ServeMetrics
{
    /// <summary>The registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    /// <summary>Requests answered, by endpoint and HTTP status.</summary>
    public Counter Requests { get; }

    /// <summary>Seconds from a request's arrival to its answer, by endpoint.</summary>
    public Histogram Latency { get; }

    /// <summary>Inputs per batch the model ran.</summary>
    public Histogram BatchSize { get; }

    /// <summary>Task requests received and not yet answered.</summary>
    public Gauge InFlight { get; }

    /// <summary>Inputs admitted and not yet taken into a batch.</summary>
    public Gauge QueueDepth { get; }

    /// <summary>Tokens left after the last block of each input's forward (after reduction), by task.</summary>
    public Histogram TokensKept { get; }

    /// <summary>Multiply-adds executed, in billions, by task.</summary>
    public Counter GMacs { get; }

    /// <summary>Zero-shot label sets looked up in the label-embedding cache, by result (<c>hit</c>, <c>miss</c>).</summary>
    public Counter LabelCache { get; }

    /// <summary>Label sets the label-embedding cache holds.</summary>
    public Gauge LabelCacheEntries { get; }

    public ServeMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("sieve_requests_total", "HTTP requests answered", "endpoint", "status");
        Latency = factory.CreateHistogram("sieve_request_duration_seconds", "Time from a request's arrival to its answer", new HistogramConfiguration
        {
            LabelNames = ["endpoint"],
            Buckets = Histogram.ExponentialBuckets(0.001, 2, 16), // 1 ms … 33 s
        });
        BatchSize = factory.CreateHistogram("sieve_batch_size", "Inputs per batch the model ran", new HistogramConfiguration
        {
            Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256],
        });
        InFlight = factory.CreateGauge("sieve_requests_in_flight", "Task requests received and not yet answered");
        QueueDepth = factory.CreateGauge("sieve_queue_depth", "Inputs admitted and waiting for a batch");
        TokensKept = factory.CreateHistogram("sieve_tokens_kept", "Tokens left after the last block of a forward", new HistogramConfiguration
        {
            LabelNames = ["task"],
            Buckets = Histogram.ExponentialBuckets(1, 2, 11), // 1 … 1024
        });
        GMacs = factory.CreateCounter("sieve_gmacs_total", "Multiply-adds executed, in billions", "task");
        LabelCache = factory.CreateCounter("sieve_label_cache_total", "Zero-shot label sets looked up in the label-embedding cache", "result");
        LabelCacheEntries = factory.CreateGauge("sieve_label_cache_entries", "Zero-shot label sets whose text embeddings are kept");
    }
}
