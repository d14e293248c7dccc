using System.Text.RegularExpressions;
using Sieve.Weights;

namespace Sieve.Hub;

/// <summary>Turns a model argument (a folder, or a Hub repository id like <c>openai/clip-vit-base-patch32</c>) into a model folder.</summary>
public static partial class HubModel
{
    /// <summary>Files fetched when the repository has them: what the tokenizer and preprocessor read.</summary>
    static readonly string[] Companions =
        ["vocab.json", "merges.txt", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

    /// <summary>
    /// <paramref name="modelArgument"/> itself when it is an existing folder; else, when it looks like
    /// <c>org/name</c>, the snapshot folder of the repository's <c>main</c> branch, pulled into the cache first.
    /// </summary>
    /// <param name="modelArgument">A folder, or a repository id.</param>
    /// <param name="options">Hub and cache settings; default: <see cref="HubOptions.FromEnvironment()"/>.</param>
    /// <param name="progress">Told about each download as it goes.</param>
    /// <exception cref="SieveFormatException">Neither a folder nor a repository id.</exception>
    /// <exception cref="HubException">The pull failed.</exception>
    public static string Resolve(string modelArgument, HubOptions? options = null, IProgress<HubDownloadProgress>? progress = null)
    {
        if (Directory.Exists(modelArgument)) return modelArgument;
        if (!IsRepoId(modelArgument))
            throw new SieveFormatException($"model folder '{modelArgument}' does not exist (nor is it a Hub repository id like org/name)");
        return Pull(modelArgument, "main", options, progress);
    }

    /// <summary>Whether <paramref name="text"/> has the shape of a Hub repository id: <c>org/name</c>.</summary>
    public static bool IsRepoId(string text) =>
        RepoIdPattern().IsMatch(text) && !text.Contains("--", StringComparison.Ordinal) && !text.Contains("..", StringComparison.Ordinal);

    /// <summary>
    /// Brings the files a model folder needs (config, weights or their shards, tokenizer and preprocessor files)
    /// of <paramref name="repoId"/> at <paramref name="revision"/> into the cache; in offline mode, only finds them there.
    /// </summary>
    /// <returns>The snapshot folder, loadable with <see cref="Models.ModelFolder"/>.</returns>
    /// <exception cref="HubException">The repository lacks the files, or the pull failed.</exception>
    public static string Pull(string repoId, string revision = "main", HubOptions? options = null, IProgress<HubDownloadProgress>? progress = null)
    {
        if (!IsRepoId(repoId)) throw new ArgumentException($"'{repoId}' is not a Hub repository id like org/name", nameof(repoId));
        options ??= HubOptions.FromEnvironment();
        using var client = new HubClient(options);
        var cache = client.Cache;
        if (options.Offline)
        {
            string? commit = cache.ResolveRevision(repoId, revision);
            string? folder = commit == null ? null : cache.SnapshotFolder(repoId, commit);
            if (folder == null || !File.Exists(Path.Combine(folder, "config.json")))
                throw new HubException($"{repoId} (revision {revision}) is not in the cache ({cache.Root}) and HF_HUB_OFFLINE is set");
            return folder;
        }

        var found = client.GetRevision(repoId, revision);
        var files = found.Files.ToHashSet(StringComparer.Ordinal);
        if (!files.Contains("config.json"))
            throw new HubException($"{repoId}: the repository has no config.json, so it is not a model folder Sieve can load");
        client.Download(repoId, found.Commit, "config.json", progress);
        if (files.Contains(CheckpointFiles.SingleFile))
            client.Download(repoId, found.Commit, CheckpointFiles.SingleFile, progress);
        else if (files.Contains(CheckpointFiles.IndexFile))
        {
            string index = client.Download(repoId, found.Commit, CheckpointFiles.IndexFile, progress);
            foreach (var shard in CheckpointFiles.ReadWeightMap(index).Values.Distinct().Order(StringComparer.Ordinal))
                client.Download(repoId, found.Commit, shard, progress);
        }
        else
            throw new HubException($"{repoId}: the repository has no {CheckpointFiles.SingleFile} or {CheckpointFiles.IndexFile}; Sieve reads safetensors weights only");
        foreach (var companion in Companions.Where(files.Contains))
            client.Download(repoId, found.Commit, companion, progress);
        // The branch is recorded last, so an interrupted pull never leaves a ref to an incomplete snapshot.
        cache.WriteRef(repoId, revision, found.Commit);
        return cache.SnapshotFolder(repoId, found.Commit);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex RepoIdPattern();
}
