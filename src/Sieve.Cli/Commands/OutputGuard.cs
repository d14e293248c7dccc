namespace Sieve.Cli.Commands;

/// <summary>
/// Refuses an output path that would destroy an input: one that resolves (symbolic links followed, in every
/// component) to a file being read, or into a folder being read (a model folder, a data set). Every command
/// that writes a file the user names checks it before doing any work.
/// </summary>
internal static class OutputGuard
{
    /// <summary>Throws when <paramref name="output"/> is, or lies inside, one of the inputs.</summary>
    /// <param name="option">The option that named the output, for the message (<c>--out</c>).</param>
    /// <param name="output">The output path as given.</param>
    /// <param name="files">Files the command reads (nulls are skipped).</param>
    /// <param name="folders">Folders the command reads from (nulls are skipped).</param>
    public static void Check(string option, string output, IEnumerable<string?> files, IEnumerable<string?> folders)
    {
        string target = RealPath(output);
        foreach (string file in files.OfType<string>())
            if (string.Equals(target, RealPath(file), StringComparison.Ordinal))
                throw new ArgumentException($"{option} '{UsageError.Echo(output)}' is the input '{UsageError.Echo(file)}'; writing it would destroy the input: choose another path");
        foreach (string folder in folders.OfType<string>())
        {
            string real = RealPath(folder);
            if (target == real || target.StartsWith(real.EndsWith(Path.DirectorySeparatorChar) ? real : real + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new ArgumentException($"{option} '{UsageError.Echo(output)}' is inside '{UsageError.Echo(folder)}', which is being read; write it elsewhere");
        }
    }

    /// <summary>
    /// The absolute path with every symbolic link resolved, component by component; components that do not exist
    /// yet are kept as written. A link loop is left unresolved (reading through it fails later, with its own message).
    /// </summary>
    internal static string RealPath(string path, int depth = 0)
    {
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full)!;
        foreach (string part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (depth < 40 && info.LinkTarget != null)
            {
                try
                {
                    if (info.ResolveLinkTarget(returnFinalTarget: true) is { } target) next = RealPath(target.FullName, depth + 1);
                }
                catch (IOException) { } // a loop: keep the link's own path
            }
            current = next;
        }
        return current;
    }
}
