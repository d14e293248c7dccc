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
    /// <param name="progress">Told about each download as it goes, on the downloading thread.</param>
    /// <param name="cancellationToken">Ends the pull with <see cref="OperationCanceledException"/>; a file cut short is resumed by the next pull.</param>
    /// <exception cref="SieveFormatException">Neither a folder nor a repository id.</exception>
    /// <exception cref="HubException">The pull failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<string> ResolveAsync(string modelArgument, HubOptions? options = null, IProgress<HubDownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (Directory.Exists(modelArgument)) return modelArgument;
        if (!IsRepoId(modelArgument))
            throw new SieveFormatException($"model folder '{modelArgument}' does not exist (nor is it a Hub repository id like org/name)");
        return await PullAsync(modelArgument, "main", options, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="text"/> has the shape of a Hub repository id: <c>org/name</c>.</summary>
    public static bool IsRepoId(string text) =>
        RepoIdPattern().IsMatch(text) && !text.Contains("--", StringComparison.Ordinal) && !text.Contains("..", StringComparison.Ordinal);

    /// <summary>
    /// Brings the files a model folder needs (config, weights or their shards — safetensors, else PyTorch
    /// <c>pytorch_model.bin</c> — tokenizer and preprocessor files)
    /// of <paramref name="repoId"/> at <paramref name="revision"/> into the cache; in offline mode, only finds them there.
    /// </summary>
    /// <param name="repoId">The repository id, <c>org/name</c>.</param>
    /// <param name="revision">A branch, tag or commit hash.</param>
    /// <param name="options">Hub and cache settings; default: <see cref="HubOptions.FromEnvironment()"/>.</param>
    /// <param name="progress">Told about each download as it goes, on the downloading thread.</param>
    /// <param name="cancellationToken">Ends the pull with <see cref="OperationCanceledException"/>; a file cut short is resumed by the next pull.</param>
    /// <returns>The snapshot folder, loadable with <see cref="Models.ModelFolder"/>.</returns>
    /// <exception cref="HubException">The repository lacks the files, or the pull failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<string> PullAsync(string repoId, string revision = "main", HubOptions? options = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!IsRepoId(repoId)) throw new ArgumentException($"'{repoId}' is not a Hub repository id like org/name", nameof(repoId));
        cancellationToken.ThrowIfCancellationRequested();
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

        var found = await client.GetRevisionAsync(repoId, revision, cancellationToken).ConfigureAwait(false);
        var files = found.Files.ToHashSet(StringComparer.Ordinal);
        if (!files.Contains("config.json"))
            throw new HubException($"{repoId}: the repository has no config.json, so it is not a model folder Sieve can load");
        Task<string> Download(string file) => client.DownloadAsync(repoId, found.Commit, file, progress, cancellationToken);
        await Download("config.json").ConfigureAwait(false);
        // As a folder loads: safetensors first; a repository with only PyTorch weights gets those.
        string weights = CheckpointFiles.Names.FirstOrDefault(files.Contains) ?? throw new HubException(
            $"{repoId}: the repository has none of {string.Join(", ", CheckpointFiles.Names)}; Sieve reads safetensors or PyTorch weights");
        string downloaded = await Download(weights).ConfigureAwait(false);
        if (CheckpointFiles.IsIndex(weights))
            foreach (var shard in CheckpointFiles.ReadWeightMap(downloaded).Values.Distinct().Order(StringComparer.Ordinal))
                await Download(shard).ConfigureAwait(false);
        foreach (var companion in Companions.Where(files.Contains))
            await Download(companion).ConfigureAwait(false);
        // The branch is recorded last, so an interrupted pull never leaves a ref to an incomplete snapshot.
        cache.WriteRef(repoId, revision, found.Commit);
        return cache.SnapshotFolder(repoId, found.Commit);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex RepoIdPattern();
}
