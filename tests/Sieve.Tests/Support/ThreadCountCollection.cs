using Sieve.Tensors;

namespace Sieve.Tests.Support;

/// <summary>
/// Tests that set the process-wide <see cref="Threading.MaxThreads"/>. They run in this one collection, never
/// beside another test class, so "1 thread vs N" is not silently "N vs N" because a class running in parallel
/// reset the count in between. Tests that read other process-wide counters (the activation memory peak <c>bench</c>
/// reports) run here too, so no other test's buffers move the peak they measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountCollection
{
    public const string Name = "process-wide thread count";

    /// <summary>
    /// Runs <paramref name="body"/> with <paramref name="threads"/> threads, asserts that count was still in
    /// force when it returned, and restores the previous count.
    /// </summary>
    public static T With<T>(int threads, Func<T> body)
    {
        int saved = Threading.MaxThreads;
        try
        {
            Threading.MaxThreads = threads;
            var result = body();
            Assert.Equal(threads, Threading.MaxThreads);
            return result;
        }
        finally { Threading.MaxThreads = saved; }
    }
}
