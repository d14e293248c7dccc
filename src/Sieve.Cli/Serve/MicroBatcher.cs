using System.Threading.Channels;
using Sieve.Tensors;

namespace Sieve.Cli.Serve;

/// <summary>
/// Dynamic micro-batching: inputs of concurrent requests are queued, taken up to <see cref="ServeSettings.MaxBatch"/>
/// at a time (waiting at most <see cref="ServeSettings.MaxWait"/> for a batch to fill) and run in throughput mode,
/// whole inputs spread over the cores (<see cref="Threading.ForEachSample"/>). Each input's result depends only on
/// that input, so it is the same as a single call. The queue is bounded: a request whose inputs do not all fit is
/// refused whole, before any of them is queued.
/// </summary>
internal sealed class MicroBatcher : IAsyncDisposable
{
    /// <summary>One queued input: its work, where its result goes, and whether its request gave up on it.</summary>
    sealed class Item(Func<object> work, CancellationToken abandoned)
    {
        public readonly Func<object> Work = work;
        public readonly CancellationToken Abandoned = abandoned;
        public readonly TaskCompletionSource<object> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    readonly ServeSettings _settings;
    readonly ServeMetrics _metrics;
    readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    readonly Task _worker;
    readonly CancellationTokenSource _draining = new();
    int _queued;

    public MicroBatcher(ServeSettings settings, ServeMetrics metrics)
    {
        (_settings, _metrics) = (settings, metrics);
        _worker = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// Queues <paramref name="works"/> as one request's inputs and returns their results in order, or null (nothing
    /// queued) when the queue has no room for all of them. <paramref name="abandoned"/> drops inputs still queued.
    /// </summary>
    public Task<T>[]? TrySubmit<T>(IReadOnlyList<Func<T>> works, CancellationToken abandoned) where T : class
    {
        int n = works.Count;
        for (int queued = Volatile.Read(ref _queued); ; queued = Volatile.Read(ref _queued))
        {
            if (queued + n > _settings.QueueCapacity) return null;
            if (Interlocked.CompareExchange(ref _queued, queued + n, queued) == queued) break;
        }
        _metrics.QueueDepth.Inc(n);
        var results = new Task<T>[n];
        for (int i = 0; i < n; i++)
        {
            var work = works[i];
            var item = new Item(() => work(), abandoned);
            results[i] = Typed<T>(item.Done.Task);
            if (!_queue.Writer.TryWrite(item)) item.Done.TrySetException(new ServeRequestException(503, "the server is shutting down"));
        }
        return results;
    }

    static async Task<T> Typed<T>(Task<object> task) => (T)await task;

    async Task RunAsync()
    {
        var batch = new List<Item>(_settings.MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            var deadline = DateTime.UtcNow + _settings.MaxWait;
            while (batch.Count < _settings.MaxBatch)
            {
                if (reader.TryRead(out var item))
                {
                    Dequeued();
                    if (item.Abandoned.IsCancellationRequested) item.Done.TrySetCanceled(item.Abandoned);
                    else batch.Add(item);
                    continue;
                }
                var left = deadline - DateTime.UtcNow;
                if (batch.Count == 0 || left <= TimeSpan.Zero || !await MoreWithin(reader, left, _draining.Token)) break;
            }
            if (batch.Count > 0) Run(batch);
        }
    }

    void Dequeued()
    {
        Interlocked.Decrement(ref _queued);
        _metrics.QueueDepth.Dec();
    }

    /// <summary>Whether another input arrives within <paramref name="wait"/> (false also when the queue is closed or draining).</summary>
    static async Task<bool> MoreWithin(ChannelReader<Item> reader, TimeSpan wait, CancellationToken draining)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(draining);
        timer.CancelAfter(wait);
        try { return await reader.WaitToReadAsync(timer.Token); }
        catch (OperationCanceledException) { return false; }
    }

    void Run(List<Item> batch)
    {
        _metrics.BatchSize.Observe(batch.Count);
        Threading.ForEachSample(batch.Count, i =>
        {
            var item = batch[i];
            if (item.Abandoned.IsCancellationRequested)
            {
                item.Done.TrySetCanceled(item.Abandoned); // its request timed out while the batch filled
                return;
            }
            try { item.Done.TrySetResult(item.Work()); }
            catch (Exception e) { item.Done.TrySetException(e); }
        });
    }

    /// <summary>
    /// From now on a batch runs with what is queued instead of waiting to fill: on shutdown the accepted requests are
    /// answered at once, not <see cref="ServeSettings.MaxWait"/> later. Inputs are still taken.
    /// </summary>
    public void Drain() => _draining.Cancel();

    /// <summary>Stops taking inputs and finishes every one already queued.</summary>
    public async ValueTask DisposeAsync()
    {
        Drain();
        _queue.Writer.TryComplete();
        await _worker;
    }
}
