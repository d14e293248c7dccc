namespace Sieve.Tests.Support;

/// <summary>A fresh folder under the system temp path, deleted with its contents on dispose.</summary>
public sealed class TempFolder(string prefix = "sieve-test-") : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// Writes <paramref name="bytes"/> to the file <paramref name="name"/> by overwriting it in place: tests that write
    /// thousands of inputs avoid truncating to zero, which costs milliseconds on some file systems.
    /// </summary>
    public string Overwrite(string name, byte[] bytes)
    {
        string path = File(name);
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write);
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
