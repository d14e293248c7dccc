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

    /// <summary>A path inside the shared folder; only valid in tests marked as needing it.</summary>
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Root ?? throw new InvalidOperationException("../shared is not present"), .. parts]);

    static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Sieve.sln")))
            {
                var shared = System.IO.Path.Combine(dir.FullName, "..", "shared");
                return Directory.Exists(shared) ? System.IO.Path.GetFullPath(shared) : null;
            }
        }
        return null;
    }
}

/// <summary>A fact that needs <c>../shared</c>; skipped with a reason where it is missing.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (SharedData.Root == null) Skip = "needs ../shared (real weights and data) beside the repository";
    }
}
