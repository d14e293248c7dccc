using Sieve.Tensors;
using Sieve.Tests.Support;

namespace Sieve.Tests.Tensors;

[Collection(ThreadCountCollection.Name)]
public class ThreadingTests
{
    [Fact]
    public void ParallelForVisitsEveryIndexOnce()
    {
        var hits = new int[1000];
        Threading.For(hits.Length, i => Interlocked.Increment(ref hits[i]));
        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.Throws<ArgumentOutOfRangeException>(() => Threading.MaxThreads = 0);
    }

    [Fact]
    public void ParallelForRethrowsAnItemsException()
    {
        var hits = new int[200];
        var error = Assert.Throws<InvalidOperationException>(() => Threading.For(hits.Length, i =>
        {
            Interlocked.Increment(ref hits[i]);
            if (i == 37) throw new InvalidOperationException("item 37");
        }));
        Assert.Equal("item 37", error.Message);
        Assert.All(hits, h => Assert.InRange(h, 0, 1)); // later items may or may not have run, never twice
    }

    /// <summary>
    /// Regions opened at once from many threads, and regions opened inside another's items, share the helper threads: every
    /// region still runs each of its indices exactly once and returns, however the helpers were spread over them.
    /// </summary>
    [Fact]
    public void ConcurrentAndNestedRegionsRunEveryIndexOnce()
    {
        ThreadCountCollection.With(3, () =>
        {
            var hits = new int[8][];
            var callers = Enumerable.Range(0, hits.Length).Select(c => Task.Run(() =>
            {
                hits[c] = new int[40 * 30];
                for (int round = 0; round < 100; round++)
                    Threading.For(40, i => Threading.For(30, j => Interlocked.Increment(ref hits[c][i * 30 + j])));
            })).ToArray();
            Assert.True(Task.WaitAll(callers, TimeSpan.FromMinutes(2)), "a region never finished");
            foreach (var h in hits) Assert.All(h, count => Assert.Equal(100, count));
            return 0;
        });
    }

    [Fact]
    public void ForEachSampleMatchesSequentialAndRunsInnerLoopsInline()
    {
        var rng = new Random(10);
        int samples = 8, m = 20, k = 300, n = 130;
        var packed = PackedMatrix.FromOutputRows(Rand.Uniform(rng, n * k), n, k);
        var inputs = Enumerable.Range(0, samples).Select(_ => Rand.Uniform(rng, m * k)).ToArray();
        var sequential = inputs.Select(x => Multiply(x, packed, m, n)).ToArray();

        var results = new float[samples][];
        var inline = new bool[samples];
        ThreadCountCollection.With(4, () =>
        {
            Threading.ForEachSample(samples, s =>
            {
                int thread = Environment.CurrentManagedThreadId, elsewhere = 0;
                Threading.For(16, _ => { if (Environment.CurrentManagedThreadId != thread) Interlocked.Increment(ref elsewhere); });
                results[s] = Multiply(inputs[s], packed, m, n); // a parallel GEMM inside a sample
                inline[s] = elsewhere == 0;
            });
            return 0;
        });

        Assert.All(inline, Assert.True);
        for (int s = 0; s < samples; s++) Assert.Equal(sequential[s], results[s]);
    }

    static float[] Multiply(float[] x, PackedMatrix w, int m, int n)
    {
        var y = new float[m * n];
        Gemm.Multiply(x, w.K, m, w, y, n);
        return y;
    }
}
