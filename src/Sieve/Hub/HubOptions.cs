namespace Sieve.Hub;

/// <summary>
/// Where and how to reach the Hub. <see cref="FromEnvironment()"/> reads the variables <c>huggingface_hub</c>
/// uses; tests build the record directly so they never depend on (or change) the process environment.
/// </summary>
/// <param name="Endpoint">Base address of the Hub (<c>HF_ENDPOINT</c>, default <c>https://huggingface.co</c>).</param>
/// <param name="CacheDirectory">The cache root (<c>HF_HUB_CACHE</c>, else <c>HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>).</param>
/// <param name="Token">Access token sent as <c>Authorization: Bearer</c> (<c>HF_TOKEN</c>); null for public repositories.</param>
/// <param name="Offline">Use the cache only, never the network (<c>HF_HUB_OFFLINE=1</c>).</param>
public sealed record HubOptions(string Endpoint, string CacheDirectory, string? Token = null, bool Offline = false)
{
    /// <summary>The public Hub.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>How many times a download is tried before a transient failure (5xx, dropped connection) is reported.</summary>
    public int Attempts { get; init; } = 3;

    /// <summary>The wait before the second try; it doubles before each later one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for a connection to the server before the try counts as failed (<c>HF_HUB_DOWNLOAD_TIMEOUT</c>).</summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultTimeout;

    /// <summary>
    /// How long to wait for an answer, and then for each next piece of a download, before the try counts as
    /// failed (<c>HF_HUB_DOWNLOAD_TIMEOUT</c>): a server that accepts and never answers, or stalls mid-file,
    /// is retried like a dropped connection instead of waited on forever.
    /// </summary>
    public TimeSpan ReadTimeout { get; init; } = DefaultTimeout;

    /// <summary>
    /// The most bytes a download whose size the Hub does not list may have; more is refused as a runaway body.
    /// Files the Hub lists no size for are small git files (the Hub keeps anything over 10 MB in LFS, with its size).
    /// </summary>
    public long MaxUnlistedSize { get; init; } = 100_000_000;

    /// <summary>Both time-outs unless <c>HF_HUB_DOWNLOAD_TIMEOUT</c> says otherwise: <c>huggingface_hub</c>'s default.</summary>
    static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The options the environment variables describe.</summary>
    /// <exception cref="HubException"><c>HF_HUB_DOWNLOAD_TIMEOUT</c> is not a positive number of seconds.</exception>
    public static HubOptions FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>The options the variables <paramref name="variable"/> returns describe (null or empty: unset).</summary>
    /// <exception cref="HubException"><c>HF_HUB_DOWNLOAD_TIMEOUT</c> is not a positive number of seconds.</exception>
    internal static HubOptions FromEnvironment(Func<string, string?> variable)
    {
        string? Env(string name) => variable(name) is { Length: > 0 } v ? v : null;
        string cache = Env("HF_HUB_CACHE")
            ?? (Env("HF_HOME") is string home ? Path.Combine(home, "hub") : null)
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");
        string offline = Env("HF_HUB_OFFLINE") ?? "";
        var timeout = DefaultTimeout;
        if (Env("HF_HUB_DOWNLOAD_TIMEOUT") is string text)
        {
            timeout = double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds)
                && seconds > 0 && seconds <= int.MaxValue / 1000
                ? TimeSpan.FromSeconds(seconds)
                : throw new HubException($"HF_HUB_DOWNLOAD_TIMEOUT is '{text}'; expected a positive number of seconds, at most {int.MaxValue / 1000}");
        }
        return new HubOptions(
            (Env("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/'),
            cache,
            Env("HF_TOKEN"),
            offline is "1" || offline.Equals("true", StringComparison.OrdinalIgnoreCase) || offline.Equals("yes", StringComparison.OrdinalIgnoreCase))
        {
            ConnectTimeout = timeout,
            ReadTimeout = timeout,
        };
    }
}
