namespace Sieve;

/// <summary>
/// Checks an input file before it is opened, so that what cannot be read as a file gives a clear error
/// instead of an operating-system exception or a hang: a folder, a symbolic link loop, or a pipe or device
/// (opening a pipe waits for a writer, forever if there is none).
/// </summary>
internal static class InputFile
{
    /// <summary>
    /// Whether anything is at <paramref name="path"/>: a file, a folder, a pipe or device, or a symbolic link
    /// (a looping one too), so that a caller reads it and says what is wrong rather than that it is missing.
    /// </summary>
    public static bool IsPresent(string path) => File.Exists(path) || Directory.Exists(path);

    /// <summary>The length of the file at <paramref name="path"/>; pipes and devices report 0.</summary>
    /// <exception cref="FileNotFoundException">Nothing is there, or a symbolic link points nowhere.</exception>
    /// <exception cref="SieveFormatException">A folder, or a symbolic link loop.</exception>
    public static long Length(string path)
    {
        FileSystemInfo info = new FileInfo(path);
        if (info.LinkTarget != null)
        {
            try
            {
                // A link's own FileInfo describes the link; its length is that of the target's name.
                info = info.ResolveLinkTarget(returnFinalTarget: true)!;
            }
            catch (IOException)
            {
                throw new SieveFormatException($"{path}: a symbolic link loop (following its links never reaches a file)");
            }
        }
        if (Directory.Exists(path)) throw new SieveFormatException($"{path}: a folder, expected a file");
        if (info is not FileInfo { Exists: true } file) throw new FileNotFoundException($"{path}: file not found", path);
        return file.Length;
    }

    /// <summary>Refuses <paramref name="path"/> unless it is a file with content, as <see cref="Length"/> does, and when it is empty.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expected">What it should hold, for the message about an empty one.</param>
    /// <exception cref="FileNotFoundException">See <see cref="Length"/>.</exception>
    /// <exception cref="SieveFormatException">See <see cref="Length"/>; also an empty file, or a pipe or device.</exception>
    public static void RequireContent(string path, string expected)
    {
        if (Length(path) == 0)
            throw new SieveFormatException($"{path}: expected {expected}, found an empty file (or a pipe or device, which cannot be read as one)");
    }
}
