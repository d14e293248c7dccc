using Sieve.Tests.Support;

namespace Sieve.Tests.Serve;

/// <summary>
/// A fact that drives a headless Chromium; skipped with a reason where no Chromium is installed — unless
/// <c>SIEVE_REQUIRE_SHARED=1</c> (set by CI, which installs it), where it runs and fails.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>The Chromium binary, or null when none is installed.</summary>
    public static string? Binary { get; } = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);

    public ChromiumFactAttribute()
    {
        if (Binary == null && !SharedData.Required) Skip = "needs Chromium (/usr/bin/chromium: apt-get install chromium) for the web UI test";
    }
}
