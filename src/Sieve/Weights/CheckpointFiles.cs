using System.Text.Json;

namespace Sieve.Weights;

/// <summary>
/// The weights of a model folder, served by tensor name as if they were one file: one <c>model.safetensors</c>, or
/// the shards that <c>model.safetensors.index.json</c> lists (its <c>weight_map</c> names the shard of every tensor);
/// failing those, the PyTorch equivalents <c>pytorch_model.bin</c> or <c>pytorch_model.bin.index.json</c>, or the
/// folder's one <c>.pth</c> / <c>.pt</c> file (timm's releases), read without running their pickle
/// (<see cref="TorchCheckpointFile"/>).
/// </summary>
internal sealed class CheckpointFiles : IDisposable
{
    /// <summary>The single-file checkpoint name.</summary>
    public const string SingleFile = "model.safetensors";

    /// <summary>The index of a sharded checkpoint.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>The single-file PyTorch checkpoint name, read when the folder has no safetensors.</summary>
    public const string TorchFile = "pytorch_model.bin";

    /// <summary>The index of a sharded PyTorch checkpoint, read when the folder has no safetensors.</summary>
    public const string TorchIndexFile = "pytorch_model.bin.index.json";

    /// <summary>The weights a folder may hold, in the order they are looked for (the first present is loaded).</summary>
    public static readonly IReadOnlyList<string> Names = [SingleFile, IndexFile, TorchFile, TorchIndexFile];

    /// <summary>Whether <paramref name="name"/> (one of <see cref="Names"/>) is the index of shards.</summary>
    public static bool IsIndex(string name) => name.EndsWith(".index.json", StringComparison.Ordinal);

    readonly IReadOnlyList<TensorFile> _files;
    readonly Dictionary<string, TensorFile> _byTensor;
    
    CheckpointFiles(IReadOnlyList<TensorFile> files, Dictionary<string, TensorFile> byTensor, string description)
    {
        _files = files;
        _byTensor = byTensor;
        Description = description;
    }

    /// <summary>
    /// Opens the checkpoint of <paramref name="directory"/>, the first of: <c>model.safetensors</c>, the shards of
    /// <c>model.safetensors.index.json</c>, <c>pytorch_model.bin</c>, the shards of <c>pytorch_model.bin.index.json</c>,
    /// the folder's only <c>.pth</c> or <c>.pt</c> file.
    /// </summary>
    /// <exception cref="SieveFormatException">None of these exists, the index is malformed, a file is malformed, or a shard lacks a tensor the index puts there.</exception>
    public static CheckpointFiles Open(string directory)
    {
        foreach (string name in Names)
        {
            string path = Path.Combine(directory, name);
            if (!InputFile.IsPresent(path)) continue;
            return IsIndex(name) ? OpenSharded(directory, path) : OpenSingle(path);
        }
        var torchFiles = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory).Where(f => Path.GetExtension(f) is ".pth" or ".pt").Order(StringComparer.Ordinal).ToList()
            : [];
        if (torchFiles.Count == 1) return OpenSingle(torchFiles[0]);
        throw new SieveFormatException(torchFiles.Count > 1
            ? $"{directory}: no {SingleFile} and {torchFiles.Count} .pth/.pt files ({string.Join(", ", torchFiles.Select(Path.GetFileName))}); keep the one to load"
            : $"{directory}: no {SingleFile}, {IndexFile}, {TorchFile} or {TorchIndexFile} (nor one .pth file); the folder holds no weights");
    }

    static CheckpointFiles OpenSingle(string path)
    {
        var file = OpenFile(path);
        return new CheckpointFiles([file], file.Tensors.Keys.ToDictionary(k => k, _ => file), file.Path);
    }

    /// <summary>A safetensors file by its extension, else a PyTorch checkpoint.</summary>
    static TensorFile OpenFile(string path) =>
        path.EndsWith(".safetensors", StringComparison.Ordinal) ? SafetensorsFile.Open(path) : TorchCheckpointFile.Open(path);

    static CheckpointFiles OpenSharded(string directory, string index)
    {
        var weightMap = ReadWeightMap(index);
        var shards = new Dictionary<string, TensorFile>(StringComparer.Ordinal);
        var byTensor = new Dictionary<string, TensorFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, shardName) in weightMap)
            {
                // A shard name is a file beside the index, never a path elsewhere.
                if (shardName.Length == 0 || shardName != Path.GetFileName(shardName))
                    throw new SieveFormatException($"{index}: tensor '{tensor}' maps to '{shardName}', expected a file name beside the index");
                if (!shards.TryGetValue(shardName, out var shard))
                    shards[shardName] = shard = OpenFile(Path.Combine(directory, shardName));
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

    /// <summary>The checkpoint file, or the index of its shards.</summary>
    public string Description { get; }

    /// <summary>Whether the checkpoint holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byTensor.ContainsKey(name);

    /// <summary>The entry of the tensor named <paramref name="name"/>.</summary>
    /// <exception cref="SieveFormatException">There is no such tensor.</exception>
    public TensorInfo Get(string name) => Shard(name).Get(name);

    /// <summary>Every tensor's entry, in name order.</summary>
    public IEnumerable<TensorInfo> Tensors => _byTensor.Keys.Order(StringComparer.Ordinal).Select(name => _byTensor[name].Get(name));

    /// <summary>Reads a tensor as float32 (any shape), refusing NaN and ±∞ as loading does.</summary>
    public float[] ReadFloats(string name)
    {
        var shard = Shard(name);
        var values = shard.ReadFloats(name);
        FiniteValues.Require(values, name, shard.Path, shard.Get(name).Shape.AsSpan());
        return values;
    }

    /// <summary>Writes the tensor's bytes as stored (dtype, little-endian, row-major) to <paramref name="destination"/>.</summary>
    public void CopyBytes(string name, Stream destination)
    {
        var shard = Shard(name);
        shard.CopyBytes(shard.Get(name), destination);
    }

    /// <summary>Reads a tensor of shape <paramref name="expectedShape"/> as float32 into <paramref name="destination"/> (its exact size).</summary>
    /// <exception cref="SieveFormatException">The tensor is missing, has another shape, or holds NaN or ±∞.</exception>
    public void ReadFloats(string name, ReadOnlySpan<int> expectedShape, Span<float> destination)
    {
        var shard = Shard(name);
        shard.ReadFloats(name, expectedShape, destination);
        FiniteValues.Require(destination, name, shard.Path, expectedShape);
    }

    /// <summary>Reads an int8 tensor of shape <paramref name="expectedShape"/> into <paramref name="destination"/> (its exact size).</summary>
    /// <exception cref="SieveFormatException">The tensor is missing, is not I8, or has another shape.</exception>
    public unsafe void ReadInt8(string name, ReadOnlySpan<int> expectedShape, Span<sbyte> destination)
    {
        var shard = Shard(name);
        var info = shard.Get(name);
        if (info.DType != DType.I8 || !info.Shape.AsSpan().SequenceEqual(expectedShape))
            throw new SieveFormatException(
                $"{shard.Path}: tensor '{name}' is {info.DType} {TensorInfo.FormatShape(info.Shape.AsSpan())}; expected I8 {TensorInfo.FormatShape(expectedShape)}");
        fixed (sbyte* p = destination)
        {
            using var stream = new UnmanagedMemoryStream((byte*)p, 0, destination.Length, FileAccess.Write);
            shard.CopyBytes(info, stream);
        }
    }

    /// <summary>
    /// The tensor <paramref name="name"/> left in its file and mapped (<see cref="MappedTensor"/>) when it is stored as
    /// <paramref name="dtype"/> with shape <paramref name="expectedShape"/> in a file that allows it (safetensors); otherwise null, to be read.
    /// </summary>
    /// <exception cref="SieveFormatException">The tensor is missing, or holds NaN or ±∞.</exception>
    public MappedTensor? Map(string name, ReadOnlySpan<int> expectedShape, DType dtype)
    {
        var shard = Shard(name);
        var info = shard.Get(name);
        return info.DType == dtype && info.HasShape(expectedShape) ? shard.Map(info) : null;
    }

    TensorFile Shard(string name)
    {
        if (_byTensor.TryGetValue(name, out var file)) return file;
        // A single file names close matches itself; for shards, search all names.
        if (_files.Count == 1) return _files[0];
        var hints = NameHints.Closest(name, _byTensor.Keys);
        string hint = hints.Count > 0 ? $"; did you mean {string.Join(" or ", hints.Select(h => $"'{h}'"))}?" : "";
        throw new SieveFormatException($"tensor '{name}' not found in {Description} ({_byTensor.Count} tensors){hint}");
    }

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
    }
}
