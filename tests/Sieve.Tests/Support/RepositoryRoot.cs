namespace Sieve.Tests.Support;

/// <summary>The repository's root folder: the first folder holding <c>Sieve.sln</c> above the test binaries.</summary>
public static class RepositoryRoot
{
    /// <summary>The root, or null when the tests run outside a checkout.</summary>
    public static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Sieve.sln"))) return dir.FullName;
        return null;
    }

    /// <summary>The root; throws when there is none.</summary>
    public static string Path => Find() ?? throw new InvalidOperationException("no Sieve.sln above the test binaries");
}
