namespace Sieve.Tests.Support;

/// <summary>A fresh folder under the system temp path, deleted with its contents on dispose.</summary>
public sealed class TempFolder(string prefix = "sieve-test-") : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
