using System.Text.Json;

namespace Sieve.Weights;

/// <summary>
/// The weights of a model folder: either one <c>model.safetensors</c>, or the shards that
/// <c>model.safetensors.index.json</c> lists (its <c>weight_map</c> names the shard of every tensor), served
/// by tensor name as if they were one file.
/// </summary>
internal sealed class CheckpointFiles : IDisposable
{
    /// <summary>The single-file checkpoint name.</summary>
    public const string SingleFile = "model.safetensors";

    /// <summary>The index of a sharded checkpoint.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    readonly IReadOnlyList<SafetensorsFile> _files;
    readonly Dictionary<string, SafetensorsFile> _byTensor;
    readonly string _description;

    CheckpointFiles(IReadOnlyList<SafetensorsFile> files, Dictionary<string, SafetensorsFile> byTensor, string description)
    {
        _files = files;
        _byTensor = byTensor;
        _description = description;
    }

    /// <summary>
    /// Opens the checkpoint of <paramref name="directory"/>: <c>model.safetensors</c> when present, else the
    /// shards of <c>model.safetensors.index.json</c>.
    /// </summary>
    /// <exception cref="SieveFormatException">Neither file exists, the index is malformed, or a shard lacks a tensor the index puts there.</exception>
    public static CheckpointFiles Open(string directory)
    {
        string single = Path.Combine(directory, SingleFile), index = Path.Combine(directory, IndexFile);
        if (InputFile.IsPresent(single))
        {
            var file = SafetensorsFile.Open(single);
            return new CheckpointFiles([file], file.Tensors.Keys.ToDictionary(k => k, _ => file), file.Path);
        }
        if (!InputFile.IsPresent(index))
            throw new SieveFormatException($"{directory}: no {SingleFile} and no {IndexFile}; the folder holds no weights");
        return OpenSharded(directory, index);
    }

    static CheckpointFiles OpenSharded(string directory, string index)
    {
        var weightMap = ReadWeightMap(index);
        var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var byTensor = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, shardName) in weightMap)
            {
                // A shard name is a file beside the index, never a path elsewhere.
                if (shardName.Length == 0 || shardName != Path.GetFileName(shardName))
                    throw new SieveFormatException($"{index}: tensor '{tensor}' maps to '{shardName}', expected a file name beside the index");
                if (!shards.TryGetValue(shardName, out var shard))
                    shards[shardName] = shard = SafetensorsFile.Open(Path.Combine(directory, shardName));
                if (!shard.Contains(tensor))
                    throw new SieveFormatException($"{index}: tensor '{tensor}' should be in {shardName}, which does not hold it");
                byTensor[tensor] = shard;
            }
            return new CheckpointFiles([.. shards.Values], byTensor, index);
        }
        catch
        {
            foreach (var shard in shards.Values) shard.Dispose();
            throw;
        }
    }

    /// <summary>The index's <c>weight_map</c>: tensor name → shard file.</summary>
    internal static Dictionary<string, string> ReadWeightMap(string index)
    {
        InputFile.RequireContent(index, "a JSON index of the shards");
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(index));
            if (!json.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new SieveFormatException($"{index}: no \"weight_map\" object (tensor name → shard file)");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new SieveFormatException($"{index}: weight_map entry '{entry.Name}' is not a file name");
                result[entry.Name] = entry.Value.GetString()!;
            }
            if (result.Count == 0) throw new SieveFormatException($"{index}: the weight_map is empty");
            return result;
        }
        catch (JsonException e)
        {
            throw new SieveFormatException($"{index}: not valid JSON ({e.Message})");
        }
    }

    /// <summary>Whether the checkpoint holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byTensor.ContainsKey(name);

    /// <summary>Reads a tensor of shape <paramref name="expectedShape"/> as float32 into <paramref name="destination"/> (its exact size).</summary>
    /// <exception cref="SieveFormatException">The tensor is missing, has another shape, or holds NaN or ±∞.</exception>
    public void ReadFloats(string name, ReadOnlySpan<int> expectedShape, Span<float> destination)
    {
        var shard = Shard(name);
        shard.ReadFloats(name, expectedShape, destination);
        FiniteValues.Require(destination, name, shard.Path, expectedShape);
    }

    SafetensorsFile Shard(string name)
    {
        if (_byTensor.TryGetValue(name, out var file)) return file;
        // A single file names close matches itself; for shards, search all names.
        if (_files.Count == 1) return _files[0];
        var hints = NameHints.Closest(name, _byTensor.Keys);
        string hint = hints.Count > 0 ? $"; did you mean {string.Join(" or ", hints.Select(h => $"'{h}'"))}?" : "";
        throw new SieveFormatException($"tensor '{name}' not found in {_description} ({_byTensor.Count} tensors){hint}");
    }

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
    }
}
