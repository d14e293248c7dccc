using System.Text.Json;

namespace Sieve.Data;

/// <summary>
/// Images with their captions, read from a COCO captions JSON (<c>images</c>: id, file_name; <c>annotations</c>:
/// image_id, caption) or a Karpathy-split JSON (<c>dataset_coco.json</c>, <c>dataset_flickr30k.json</c>:
/// <c>images[]</c> with filename, optional filepath, split, <c>sentences[].raw</c>). Images come in ordinal
/// order of their paths, each image's captions in file order, so caption <c>c</c> belongs to image
/// <see cref="ImageOf"/>[c] and an image's captions are contiguous. An image without a file is an error,
/// not skipped.
/// </summary>
public sealed class ImageCaptions
{
    ImageCaptions(List<(string Image, List<string> Captions)> images)
    {
        images.Sort((a, b) => StringComparer.Ordinal.Compare(a.Image, b.Image));
        Images = images.Select(i => i.Image).ToArray();
        Captions = images.SelectMany(i => i.Captions).ToArray();
        ImageOf = images.SelectMany((image, index) => Enumerable.Repeat(index, image.Captions.Count)).ToArray();
    }

    /// <summary>The image files, in ordinal order of their paths.</summary>
    public IReadOnlyList<string> Images { get; }

    /// <summary>All captions, grouped by image in <see cref="Images"/>' order, each image's in file order.</summary>
    public IReadOnlyList<string> Captions { get; }

    /// <summary>For each caption, the index of its image in <see cref="Images"/>.</summary>
    public IReadOnlyList<int> ImageOf { get; }

    /// <summary>The (image, caption) pairs in caption order.</summary>
    public IEnumerable<(string Image, string Caption)> Pairs => Captions.Select((caption, c) => (Images[ImageOf[c]], caption));

    /// <summary>
    /// The images and captions of <paramref name="json"/>. A COCO captions file is one split: its images are
    /// looked up in <paramref name="imageRoot"/> if given, else beside the JSON, else in the split's folder
    /// beside the JSON's folder (<c>annotations/captions_val2017.json</c> → <c>val2017/</c>), COCO's layout.
    /// A Karpathy-split file holds all splits: <paramref name="split"/> (train, val, test or restval; test when
    /// not given) picks one, and images are <c>imageRoot/filepath/filename</c> (imageRoot defaulting to the
    /// JSON's folder; Flickr30k has no filepath).
    /// </summary>
    public static ImageCaptions Load(string json, string? split = null, string? imageRoot = null)
    {
        if (!File.Exists(json)) throw new FileNotFoundException($"captions file '{json}' does not exist", json);
        if (imageRoot != null && !Directory.Exists(imageRoot)) throw new DirectoryNotFoundException($"image folder '{imageRoot}' does not exist");
        using var doc = Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array)
            throw new SieveFormatException($"{json}: not a captions file (expected an \"images\" array with \"annotations\", or Karpathy's \"sentences\" per image)");
        bool karpathy = !root.TryGetProperty("annotations", out var annotations);
        if (!karpathy && split != null)
            throw new ArgumentException($"{json} is a COCO captions file, which holds one split; a split ('{split}') applies only to Karpathy-split files");
        var read = karpathy
            ? ReadKarpathy(json, images, split ?? "test", imageRoot ?? Path.GetDirectoryName(Path.GetFullPath(json))!)
            : ReadCoco(json, images, annotations, imageRoot ?? ImageFolder(json));
        foreach (var (file, _) in read)
            if (!File.Exists(file)) throw new FileNotFoundException($"{json}: image '{file}' does not exist", file);
        return new ImageCaptions(read);
    }

    static List<(string, List<string>)> ReadCoco(string json, JsonElement images, JsonElement annotations, string folder)
    {
        if (annotations.ValueKind != JsonValueKind.Array)
            throw new SieveFormatException($"{json}: not a COCO captions file (expected \"images\" and \"annotations\" arrays)");
        var byId = new Dictionary<long, (string File, List<string> Captions)>();
        foreach (var image in images.EnumerateArray())
        {
            if (!image.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt64(out long key) || !image.TryGetProperty("file_name", out var name) || name.ValueKind != JsonValueKind.String)
                throw new SieveFormatException($"{json}: an entry of \"images\" lacks a numeric \"id\" or a \"file_name\"");
            byId[key] = (Path.Combine(folder, name.GetString()!), []);
        }
        int count = 0;
        foreach (var a in annotations.EnumerateArray())
        {
            if (!a.TryGetProperty("image_id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt64(out long key) || !a.TryGetProperty("caption", out var caption) || caption.ValueKind != JsonValueKind.String)
                throw new SieveFormatException($"{json}: an entry of \"annotations\" lacks a numeric \"image_id\" or a \"caption\"");
            // Captions files of a split may hold annotations of images listed elsewhere; those pairs are not ours.
            if (byId.TryGetValue(key, out var image)) { image.Captions.Add(caption.GetString()!.Trim()); count++; }
        }
        if (count == 0) throw new SieveFormatException($"{json}: no caption belongs to an image the file lists");
        // An image listed without a caption has nothing to pair or retrieve.
        return byId.Values.Where(i => i.Captions.Count > 0).Select(i => (i.File, i.Captions)).ToList();
    }

    static List<(string, List<string>)> ReadKarpathy(string json, JsonElement images, string split, string root)
    {
        var read = new List<(string, List<string>)>();
        var splits = new SortedSet<string>(StringComparer.Ordinal);
        int index = 0;
        foreach (var image in images.EnumerateArray())
        {
            string Field(string name) => image.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()!
                : throw new SieveFormatException($"{json}: images[{index}] lacks a string \"{name}\"");
            string imageSplit = Field("split");
            splits.Add(imageSplit);
            if (imageSplit == split)
            {
                string folder = image.TryGetProperty("filepath", out _) ? Path.Combine(root, Field("filepath")) : root;
                string file = Path.Combine(folder, Field("filename"));
                if (!image.TryGetProperty("sentences", out var sentences) || sentences.ValueKind != JsonValueKind.Array || sentences.GetArrayLength() == 0)
                    throw new SieveFormatException($"{json}: images[{index}] ('{file}') lacks a non-empty \"sentences\" array");
                var captions = sentences.EnumerateArray().Select(s => s.TryGetProperty("raw", out var raw) && raw.ValueKind == JsonValueKind.String ? raw.GetString()!.Trim()
                    : throw new SieveFormatException($"{json}: a sentence of images[{index}] ('{file}') lacks a string \"raw\"")).ToList();
                read.Add((file, captions));
            }
            index++;
        }
        if (read.Count == 0)
            throw new SieveFormatException($"{json}: no image in split '{split}' (the file's splits: {(splits.Count == 0 ? "none" : string.Join(", ", splits))})");
        return read;
    }

    /// <summary>Beside the JSON if its images are there, else COCO's <c>../&lt;split&gt;/</c>.</summary>
    static string ImageFolder(string json)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(json))!;
        string name = Path.GetFileNameWithoutExtension(json);
        int underscore = name.IndexOf('_');
        if (underscore < 0) return dir;
        string split = Path.Combine(Path.GetDirectoryName(dir) ?? dir, name[(underscore + 1)..]);
        return Directory.Exists(split) ? split : dir;
    }

    static JsonDocument Parse(string json)
    {
        try { return JsonDocument.Parse(File.ReadAllBytes(json)); }
        catch (JsonException e) { throw new SieveFormatException($"{json}: not valid JSON ({e.Message})"); }
    }
}
