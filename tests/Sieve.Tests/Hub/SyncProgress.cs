using Sieve.Hub;

namespace Sieve.Tests.Hub;

/// <summary>Reports on the downloading thread (<see cref="Progress{T}"/> would post them to the thread pool, after the fact).</summary>
internal sealed class SyncProgress(Action<HubDownloadProgress> report) : IProgress<HubDownloadProgress>
{
    public void Report(HubDownloadProgress value) => report(value);
}
