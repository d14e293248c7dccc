using Sieve.Cli.Serve;

namespace Sieve.Tests.Serve;

/// <summary>The batcher's queue bound and its promise: every admitted input is run and answered, in its request's order.</summary>
public sealed class MicroBatcherTests
{
    [Fact]
    public async Task AFullQueueRefusesWholeRequestsAndEveryAdmittedInputIsAnswered()
    {
        var settings = ServeHarness.Defaults with { MaxBatch = 1, MaxWait = TimeSpan.Zero, QueueCapacity = 3 };
        using var gate = new ManualResetEventSlim();
        await using var batcher = new MicroBatcher(settings, new ServeMetrics());
        using var release = new Release(gate); // a failed assertion must not leave the worker blocked, or disposing hangs
        using var started = new SemaphoreSlim(0);
        // The first input holds the worker, so what follows stays queued.
        var first = batcher.TrySubmit<string>([() => { started.Release(); gate.Wait(); return "first"; }], CancellationToken.None)!;
        await started.WaitAsync();
        var pair = batcher.TrySubmit<string>([() => "a", () => "b"], CancellationToken.None);
        Assert.NotNull(pair);
        Assert.Null(batcher.TrySubmit<string>([() => "c", () => "d"], CancellationToken.None)); // 2 + 2 > 3: refused whole
        var single = batcher.TrySubmit<string>([() => "e"], CancellationToken.None); // 2 + 1 fits
        Assert.NotNull(single);
        Assert.Null(batcher.TrySubmit<string>([() => "f"], CancellationToken.None));
        gate.Set();
        Assert.Equal("first", await first[0]);
        Assert.Equal(["a", "b"], await Task.WhenAll(pair));
        Assert.Equal("e", await single[0]);
        Assert.NotNull(batcher.TrySubmit<string>([() => "g", () => "h", () => "i"], CancellationToken.None)); // the room is back
    }

    [Fact]
    public async Task AnInputAbandonedWhileQueuedIsNotRun()
    {
        var settings = ServeHarness.Defaults with { MaxBatch = 1, MaxWait = TimeSpan.Zero };
        using var gate = new ManualResetEventSlim();
        await using var batcher = new MicroBatcher(settings, new ServeMetrics());
        using var release = new Release(gate);
        using var started = new SemaphoreSlim(0);
        var holder = batcher.TrySubmit<string>([() => { started.Release(); gate.Wait(); return "held"; }], CancellationToken.None)!;
        await started.WaitAsync();
        using var abandon = new CancellationTokenSource();
        bool ran = false;
        var dropped = batcher.TrySubmit<string>([() => { ran = true; return "late"; }], abandon.Token)!;
        abandon.Cancel();
        gate.Set();
        await holder[0];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped[0]);
        Assert.False(ran);
    }

    /// <summary>Opens the gate on dispose, before the batcher waits for its worker.</summary>
    sealed class Release(ManualResetEventSlim gate) : IDisposable
    {
        public void Dispose() => gate.Set();
    }
}
