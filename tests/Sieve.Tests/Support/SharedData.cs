namespace Sieve.Tests.Support;

/// <summary>
/// Locates the project's <c>../shared</c> folder (real weights, images, vocabulary) relative to the
/// repository root. Tests that need it use <see cref="SharedDataFactAttribute"/>, and are skipped —
/// with a reason — where it does not exist.
/// </summary>
public static class SharedData
{
    /// <summary>The shared folder, or null when the repository has none beside it.</summary>
    public static string? Root { get; } = Find();

    /// <summary>Whether tests that need the folder must run (and fail) without it: <c>SIEVE_REQUIRE_SHARED=1</c>.</summary>
    public static bool Required { get; } = Environment.GetEnvironmentVariable("SIEVE_REQUIRE_SHARED") == "1";

    /// <summary>A path inside the shared folder; only valid in tests marked as needing it.</summary>
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Root ?? throw new InvalidOperationException(
            "../shared is not present" + (Required ? " and SIEVE_REQUIRE_SHARED=1 requires it" : "")), .. parts]);

    static string? Find()
    {
        if (RepositoryRoot.Find() is not { } root) return null;
        var shared = System.IO.Path.Combine(root, "..", "shared");
        return Directory.Exists(shared) ? System.IO.Path.GetFullPath(shared) : null;
    }
}

/// <summary>
/// A fact that needs <c>../shared</c>; skipped with a reason where it is missing — unless
/// <c>SIEVE_REQUIRE_SHARED=1</c> (set by CI), where it runs and fails, so a green run cannot hide that every
/// real-data test was skipped.
/// </summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (SharedData.Root == null && !SharedData.Required) Skip = "needs ../shared (real weights and data) beside the repository";
    }
}
