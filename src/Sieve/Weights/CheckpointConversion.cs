namespace Sieve.Weights;

/// <summary>What <see cref="CheckpointConversion.ToSafetensors"/> wrote.</summary>
/// <param name="Tensors">Tensors copied.</param>
/// <param name="Bytes">Size of the <c>model.safetensors</c> written.</param>
/// <param name="Source">The checkpoint read: a file, or the index of shards.</param>
/// <param name="Files">The other files copied (config, tokenizer, preprocessor), by name.</param>
internal sealed record ConvertedCheckpoint(int Tensors, long Bytes, string Source, IReadOnlyList<string> Files);

/// <summary>
/// Rewrites a model folder's checkpoint — any that <see cref="CheckpointFiles"/> reads, PyTorch or sharded — as one
/// <c>model.safetensors</c> beside copies of the folder's config and tokenizer files, so the next load is a memory
/// map. Every tensor keeps its name, dtype, shape and bytes exactly; views are written contiguous.
/// </summary>
internal static class CheckpointConversion
{
    /// <summary>Writes the converted folder into <paramref name="outDirectory"/>, which must be new or empty.</summary>
    /// <exception cref="ArgumentException"><paramref name="outDirectory"/> exists and is not an empty folder (nothing in it is touched).</exception>
    /// <exception cref="SieveFormatException">The checkpoint cannot be read.</exception>
    public static ConvertedCheckpoint ToSafetensors(string modelDirectory, string outDirectory)
    {
        if (File.Exists(outDirectory) || (Directory.Exists(outDirectory) && Directory.EnumerateFileSystemEntries(outDirectory).Any()))
            throw new ArgumentException($"'{outDirectory}' already exists and is not an empty folder; give a new or empty one (nothing was written)");
        using var checkpoint = CheckpointFiles.Open(modelDirectory);
        var writer = new SafetensorsWriter().AddMetadata("format", "pt");
        int count = 0;
        foreach (var info in checkpoint.Tensors)
        {
            writer.AddBytes(info.Name, info.Shape.AsSpan(), info.DType, stream => checkpoint.CopyBytes(info.Name, stream));
            count++;
        }
        // Config, vocabularies and preprocessor settings: the folder's .json and .txt files, less the weight indexes.
        var companions = Directory.EnumerateFiles(modelDirectory)
            .Where(f => Path.GetExtension(f) is ".json" or ".txt" && !CheckpointFiles.Names.Contains(Path.GetFileName(f)))
            .Order(StringComparer.Ordinal).ToList();
        Directory.CreateDirectory(outDirectory);
        string output = Path.Combine(outDirectory, CheckpointFiles.SingleFile);
        writer.Save(output);
        foreach (string file in companions) File.Copy(file, Path.Combine(outDirectory, Path.GetFileName(file)));
        return new ConvertedCheckpoint(count, new FileInfo(output).Length, checkpoint.Description, [.. companions.Select(f => Path.GetFileName(f))]);
    }
}
