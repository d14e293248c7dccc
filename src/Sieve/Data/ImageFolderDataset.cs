using Sieve.Weights;

namespace Sieve.Data;

/// <summary>
/// An ImageNet-style evaluation folder: images named <c>WNID_anything.JPEG</c>, labelled by the position
/// of their WNID in a classes JSON (<c>wnids</c>, optional <c>names</c>) — the order of the model's outputs.
/// </summary>
public sealed class ImageFolderDataset
{
    ImageFolderDataset(string directory, string classesFile, string[] files, int[] labels, string[] classNames)
    {
        Directory = directory;
        ClassesFile = classesFile;
        Files = files;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The classes JSON the labels were read from (given, or found in or beside the folder).</summary>
    public string ClassesFile { get; }

    /// <summary>Image paths, sorted by name.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>True class index of each image.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Class names (or WNIDs when the JSON has no names), in class-index order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>
    /// Reads the folder. Without <paramref name="classesJson"/> it looks for <c>classes.json</c> or
    /// <c>imagenet-classes.json</c> in the folder, then beside it.
    /// </summary>
    public static ImageFolderDataset Load(string directory, string? classesJson = null)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"dataset folder '{directory}' does not exist");
        string classesPath = classesJson ?? FindClasses(directory)
            ?? throw new SieveFormatException($"{directory}: no classes.json or imagenet-classes.json in the folder or beside it; pass the class list (a JSON with \"wnids\") explicitly");
        var config = JsonConfig.Load(classesPath);
        var ids = Strings(config, "wnids");
        var index = new Dictionary<string, int>();
        for (int i = 0; i < ids.Length; i++)
            if (!index.TryAdd(ids[i], i)) throw config.Problem("wnids", $"lists '{ids[i]}' twice");
        string[] names = config.Has("names") ? Strings(config, "names") : ids;
        if (names.Length != ids.Length) throw config.Problem("names", $"has {names.Length} entries for {ids.Length} wnids");

        var files = System.IO.Directory.EnumerateFiles(directory)
            .Where(ImageDecoder.HasImageExtension)
            .Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new SieveFormatException($"{directory}: no images ({string.Join(", ", ImageDecoder.FolderExtensions)})");
        var labels = new int[files.Length];
        for (int i = 0; i < files.Length; i++)
        {
            string name = Path.GetFileName(files[i]);
            int underscore = name.IndexOf('_');
            string wnid = underscore > 0 ? name[..underscore] : Path.GetFileNameWithoutExtension(name);
            labels[i] = index.TryGetValue(wnid, out int label)
                ? label
                : throw new SieveFormatException($"{files[i]}: class '{wnid}' (the name before '_') is not in {classesPath}");
        }
        return new ImageFolderDataset(directory, classesPath, files, labels, names);
    }

    /// <summary>The non-empty array of strings <paramref name="name"/> of a JSON, or a format error naming it.</summary>
    internal static string[] Strings(JsonConfig config, string name)
    {
        var array = config.Required(name, "a non-empty array of strings");
        if (array.ValueKind != System.Text.Json.JsonValueKind.Array || array.GetArrayLength() == 0
            || array.EnumerateArray().Any(e => e.ValueKind != System.Text.Json.JsonValueKind.String))
            throw config.Error(name, "a non-empty array of strings", array);
        return array.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    static string? FindClasses(string directory)
    {
        string? parent = Path.GetDirectoryName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar));
        foreach (string dir in new[] { directory, parent }.OfType<string>())
            foreach (string name in new[] { "classes.json", "imagenet-classes.json" })
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }
}
