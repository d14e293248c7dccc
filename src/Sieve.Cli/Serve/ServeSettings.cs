namespace Sieve.Cli.Serve;

/// <summary>How <c>sieve serve</c> batches, queues and bounds requests.</summary>
/// <param name="MaxBatch">Most inputs run together in one batch (throughput mode: whole inputs spread over the cores).</param>
/// <param name="MaxWait">How long a batch that is not yet full waits for more inputs before it runs.</param>
/// <param name="QueueCapacity">Most inputs waiting for a batch; a request that does not fit gets 429.</param>
/// <param name="RequestTimeout">How long a request may take from admission to answer; past it, 504 and its queued inputs are dropped.</param>
/// <param name="MaxBodyBytes">Largest request body; a larger one gets 413.</param>
/// <param name="MaxImageSide">Largest image width or height in pixels, read from the header before decoding.</param>
/// <param name="AllowDamagedImages">Decode a cut-short or damaged JPEG or PNG as far as it goes (<c>--allow-truncated-images</c>).</param>
/// <param name="WarmupInputs">Example inputs run through each image tower before the server listens (0: none).</param>
/// <param name="LabelCache">Most zero-shot label sets whose text embeddings are kept across requests (<see cref="LabelEmbeddingCache"/>; 0: none).</param>
internal sealed record ServeSettings(int MaxBatch, TimeSpan MaxWait, int QueueCapacity, TimeSpan RequestTimeout, long MaxBodyBytes, int MaxImageSide,
    bool AllowDamagedImages, int LabelCache, int WarmupInputs);
