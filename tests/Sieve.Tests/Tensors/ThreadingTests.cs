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
