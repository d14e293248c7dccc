using System.Text.RegularExpressions;

namespace Sieve.Hub;

/// <summary>
/// The Hugging Face cache layout, shared with Python's <c>huggingface_hub</c>:
/// <c>models--ORG--NAME/blobs/&lt;etag&gt;</c> holds each file's content once, named by its ETag (SHA-256 for
/// LFS files, the git blob SHA-1 otherwise); <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c> links to it; and
/// <c>refs/&lt;branch&gt;</c> holds the commit a branch pointed at when last resolved.
/// </summary>
internal sealed partial class HubCache(string root)
{
    /// <summary>The cache root (the folder holding the <c>models--…</c> folders).</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The folder of repository <paramref name="repoId"/> (<c>org/name</c>).</summary>
    public string RepoFolder(string repoId) => Path.Combine(Root, "models--" + repoId.Replace("/", "--"));

    /// <summary>Where the content with ETag <paramref name="etag"/> is kept.</summary>
    public string BlobPath(string repoId, string etag)
    {
        if (!EtagPattern().IsMatch(etag)) throw new HubException($"{repoId}: the Hub sent an ETag '{etag}' that is not a hash");
        return Path.Combine(RepoFolder(repoId), "blobs", etag);
    }

    /// <summary>The snapshot folder of <paramref name="commit"/>: the files of the repository at that commit.</summary>
    public string SnapshotFolder(string repoId, string commit)
    {
        if (!CommitPattern().IsMatch(commit)) throw new HubException($"{repoId}: '{commit}' is not a commit hash");
        return Path.Combine(RepoFolder(repoId), "snapshots", commit);
    }

    /// <summary>The path of <paramref name="file"/> in the snapshot of <paramref name="commit"/>.</summary>
    /// <exception cref="HubException">The name would lead outside the snapshot.</exception>
    public string SnapshotFile(string repoId, string commit, string file)
    {
        // Names come from the server; refuse any that would escape the snapshot folder.
        if (file.Length == 0 || Path.IsPathRooted(file) || file.Split('/', '\\').Any(part => part is "" or "." or ".."))
            throw new HubException($"{repoId}: refusing the file name '{file}', which is not a plain path inside the repository");
        return Path.Combine(SnapshotFolder(repoId, commit), file);
    }

    /// <summary>The commit <paramref name="revision"/> names in the cache: itself when it is a commit hash, else what its ref file holds; null when unknown.</summary>
    public string? ResolveRevision(string repoId, string revision)
    {
        if (CommitPattern().IsMatch(revision)) return revision;
        string path = RefPath(repoId, revision);
        return File.Exists(path) && File.ReadAllText(path).Trim() is var commit && CommitPattern().IsMatch(commit) ? commit : null;
    }

    /// <summary>Records that branch or tag <paramref name="revision"/> points at <paramref name="commit"/>.</summary>
    public void WriteRef(string repoId, string revision, string commit)
    {
        if (revision == commit) return;
        string path = RefPath(repoId, revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, s => s.Write(System.Text.Encoding.ASCII.GetBytes(commit)));
    }

    string RefPath(string repoId, string revision)
    {
        if (revision.Length == 0 || revision.Split('/').Any(part => part is "" or "." or ".."))
            throw new HubException($"{repoId}: '{revision}' is not a valid revision name");
        return Path.Combine(RepoFolder(repoId), "refs", revision);
    }

    /// <summary>
    /// Makes <paramref name="file"/> of the snapshot a relative symbolic link to its blob, as
    /// <c>huggingface_hub</c> does; where links cannot be made (some file systems, Windows without developer
    /// mode) the blob is copied instead.
    /// </summary>
    public string Link(string repoId, string commit, string file, string etag)
    {
        string target = SnapshotFile(repoId, commit, file), blob = BlobPath(repoId, etag);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target) || new FileInfo(target).LinkTarget != null) File.Delete(target);
        try
        {
            File.CreateSymbolicLink(target, Path.GetRelativePath(Path.GetDirectoryName(target)!, blob));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(blob, target, overwrite: true);
        }
        return target;
    }

    /// <summary>A full git commit hash.</summary>
    [GeneratedRegex("^[0-9a-f]{40}$")]
    internal static partial Regex CommitPattern();

    /// <summary>A git SHA-1 (40 hex digits) or an LFS SHA-256 (64).</summary>
    [GeneratedRegex("^(?:[0-9a-f]{40}|[0-9a-f]{64})$")]
    internal static partial Regex EtagPattern();
}
