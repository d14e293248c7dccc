namespace Sieve;

/// <summary>
/// Writes an output file through a temporary file beside it, renamed over the target only once it is
/// complete, so readers never see a partial file and a failed write leaves any old file untouched.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes.</summary>
    /// <exception cref="SieveFormatException">The folder of <paramref name="path"/> does not exist, or <paramref name="path"/> is a folder.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        path = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder)) throw new SieveFormatException($"cannot write '{path}': folder '{folder}' does not exist");
        if (Directory.Exists(path)) throw new SieveFormatException($"cannot write '{path}': it is a folder, expected a file name");
        string temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
