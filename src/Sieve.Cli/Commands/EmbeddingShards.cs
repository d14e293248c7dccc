using System.Text.Json;
using Sieve.Weights;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve embed --shard I/N</c>'s outputs and <c>--merge</c>: a shard's safetensors file records, beside the names,
/// which shard it is and how many inputs the whole job has, so the merge can check that every shard is there exactly
/// once before it writes the shards' rows in index order — the unsharded output, byte for byte.
/// </summary>
internal static class EmbeddingShards
{
    const string ShardKey = "shard", InputsKey = "inputs";

    /// <summary>The metadata a shard's file carries besides the names.</summary>
    public static Dictionary<string, string> Metadata(Shard shard, int inputs) => new() { [ShardKey] = shard.ToString(), [InputsKey] = inputs.ToString() };

    /// <summary>Reads the shard files, checks they make one whole job, and writes the merged embeddings to <paramref name="outPath"/>.</summary>
    /// <returns>The number of embeddings written.</returns>
    public static int Merge(IReadOnlyList<string> files, string outPath)
    {
        var parts = files.Select(Read).OrderBy(p => p.Shard.Index).ToList();
        var first = parts[0];
        foreach (var part in parts)
        {
            if (part.Shard.Count != first.Shard.Count || part.Inputs != first.Inputs || part.Vectors[0].Length != first.Vectors[0].Length)
                throw new SieveFormatException($"--merge: '{part.File}' is shard {part.Shard} of {part.Inputs} inputs ({part.Vectors[0].Length} values each), " +
                                               $"'{first.File}' shard {first.Shard} of {first.Inputs} ({first.Vectors[0].Length} values each): not parts of one job");
            var (start, end) = part.Shard.Range(part.Inputs);
            if (part.Names.Count != end - start)
                throw new SieveFormatException($"--merge: '{part.File}' holds {part.Names.Count} embeddings; shard {part.Shard} of {part.Inputs} inputs has {end - start}");
        }
        Shard.CheckComplete([.. parts.Select(p => p.Shard)]);
        EmbedCommand.Write(outPath, [.. parts.SelectMany(p => p.Names)], [.. parts.SelectMany(p => p.Vectors)]);
        return first.Inputs;
    }

    sealed record Part(string File, Shard Shard, int Inputs, IReadOnlyList<string> Names, float[][] Vectors);

    static Part Read(string file)
    {
        if (!File.Exists(file)) throw new SieveFormatException($"--merge: '{file}' does not exist");
        using var tensors = SafetensorsFile.Open(file);
        if (!tensors.Metadata.TryGetValue(ShardKey, out var shardText) || !tensors.Metadata.TryGetValue(InputsKey, out var inputsText)
            || !int.TryParse(inputsText, out int inputs) || !tensors.Metadata.TryGetValue("names", out var namesJson) || !tensors.Contains("embeddings"))
            throw new SieveFormatException($"--merge: '{file}' is not the output of `sieve embed --shard`");
        var shard = Shard.Parse(shardText, $"--merge: '{file}' has shard");
        var names = JsonSerializer.Deserialize<string[]>(namesJson) ?? [];
        if (names.Length == 0) throw new SieveFormatException($"--merge: '{file}' holds no embeddings");
        var info = tensors.Get("embeddings");
        if (info.Shape.Length != 2 || info.Shape[0] != names.Length)
            throw new SieveFormatException($"--merge: '{file}' has embeddings of shape [{string.Join(", ", info.Shape)}] for {names.Length} names");
        var flat = tensors.ReadFloats("embeddings");
        int dim = info.Shape[1];
        var vectors = Enumerable.Range(0, names.Length).Select(i => flat.AsSpan(i * dim, dim).ToArray()).ToArray();
        return new Part(file, shard, inputs, names, vectors);
    }
}
