namespace Sieve.Weights;

/// <summary>What <see cref="CheckpointConversion.ToSafetensors"/> wrote.</summary>
/// <param name="Tensors">Tensors copied.</param>
/// <param name="Bytes">Size of the <c>model.safetensors</c> written.</param>
/// <param name="Source">The checkpoint read: a file, or the index of shards.</param>
/// <param name="Files">The other files copied (config, tokenizer, preprocessor) or written (a mapped layout's config), by name.</param>
/// <param name="Mapping">The layout mapping applied, or null when names were kept.</param>
internal sealed record ConvertedCheckpoint(int Tensors, long Bytes, string Source, IReadOnlyList<string> Files, CheckpointMapping? Mapping = null);

/// <summary>
/// Rewrites a model folder's checkpoint — any that <see cref="CheckpointFiles"/> reads, PyTorch or sharded — as one
/// <c>model.safetensors</c> beside copies of the folder's config and tokenizer files, so the next load is a memory
/// map. Every tensor keeps its dtype, shape and bytes exactly, and its name unless a <see cref="CheckpointMapping"/>
/// renames it or leaves it out; views are written contiguous.
/// </summary>
internal static class CheckpointConversion
{
    /// <summary>Writes the converted folder into <paramref name="outDirectory"/>, which must be new or empty.</summary>
    /// <exception cref="ArgumentException"><paramref name="outDirectory"/> exists and is not an empty folder (nothing in it is touched).</exception>
    /// <exception cref="SieveFormatException">The checkpoint cannot be read.</exception>
    /// <param name="modelDirectory">The folder read.</param>
    /// <param name="outDirectory">The folder written.</param>
    /// <param name="map">Decides the mapping from the opened checkpoint (another project's layout), or null to keep every name.</param>
    public static ConvertedCheckpoint ToSafetensors(string modelDirectory, string outDirectory, Func<CheckpointFiles, CheckpointMapping>? map = null)
    {
        CheckEmpty(outDirectory);
        using var checkpoint = CheckpointFiles.Open(modelDirectory);
        var mapping = map?.Invoke(checkpoint);
        mapping?.Check(checkpoint.Tensors.Select(t => t.Name));
        var writer = new SafetensorsWriter().AddMetadata("format", "pt");
        int count = 0;
        foreach (var info in checkpoint.Tensors)
        {
            string name = info.Name;
            if (mapping != null && !mapping.Names.TryGetValue(name, out name!)) continue;
            writer.AddBytes(name, info.Shape.AsSpan(), info.DType, stream => checkpoint.CopyBytes(info.Name, stream));
            count++;
        }
        var companions = Companions(modelDirectory);
        Directory.CreateDirectory(outDirectory);
        string output = Path.Combine(outDirectory, CheckpointFiles.SingleFile);
        writer.Save(output);
        foreach (string file in companions) File.Copy(file, Path.Combine(outDirectory, Path.GetFileName(file)));
        var written = mapping?.Files.Keys.Where(f => !companions.Any(c => Path.GetFileName(c) == f)).Order(StringComparer.Ordinal).ToList() ?? [];
        foreach (string file in written) File.WriteAllText(Path.Combine(outDirectory, file), mapping!.Files[file]);
        return new ConvertedCheckpoint(count, new FileInfo(output).Length, checkpoint.Description,
            [.. companions.Select(f => Path.GetFileName(f)!).Concat(written).Order(StringComparer.Ordinal)], mapping);
    }

    /// <summary>The folder's config, vocabularies and preprocessor settings: its .json and .txt files, less the weight indexes.</summary>
    public static List<string> Companions(string modelDirectory) => Directory.EnumerateFiles(modelDirectory)
        .Where(f => Path.GetExtension(f) is ".json" or ".txt" && !CheckpointFiles.Names.Contains(Path.GetFileName(f)))
        .Order(StringComparer.Ordinal).ToList();

    /// <summary>Refuses an output that exists and is not an empty folder, before anything is read or written.</summary>
    public static void CheckEmpty(string outDirectory)
    {
        if (File.Exists(outDirectory) || (Directory.Exists(outDirectory) && Directory.EnumerateFileSystemEntries(outDirectory).Any()))
            throw new ArgumentException($"'{outDirectory}' already exists and is not an empty folder; give a new or empty one (nothing was written)");
    }
}
