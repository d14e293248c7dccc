using System.Text.Json;

namespace Sieve.Fitting;

/// <summary>
/// Image–caption pairs from a COCO captions JSON (<c>images</c>: id, file_name; <c>annotations</c>:
/// image_id, caption). Images are looked up beside the JSON, then in the split's folder beside the JSON's
/// folder (<c>annotations/captions_val2017.json</c> → <c>val2017/</c>), COCO's own layout. Pairs come in
/// image-file order, then annotation order; images without a file are an error, not skipped.
/// </summary>
internal static class CaptionPairs
{
    /// <summary>The pairs (image path, caption) of <paramref name="json"/>.</summary>
    public static IReadOnlyList<(string Image, string Caption)> Load(string json)
    {
        if (!File.Exists(json)) throw new FileNotFoundException($"captions file '{json}' does not exist", json);
        using var doc = Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array
            || !root.TryGetProperty("annotations", out var annotations) || annotations.ValueKind != JsonValueKind.Array)
            throw new SieveFormatException($"{json}: not a COCO captions file (expected \"images\" and \"annotations\" arrays)");
        var folder = ImageFolder(json);
        var files = new Dictionary<long, string>();
        foreach (var image in images.EnumerateArray())
        {
            if (!image.TryGetProperty("id", out var id) || !id.TryGetInt64(out long key) || !image.TryGetProperty("file_name", out var name) || name.ValueKind != JsonValueKind.String)
                throw new SieveFormatException($"{json}: an entry of \"images\" lacks a numeric \"id\" or a \"file_name\"");
            files[key] = Path.Combine(folder, name.GetString()!);
        }
        var pairs = new List<(string, string)>();
        foreach (var a in annotations.EnumerateArray())
        {
            if (!a.TryGetProperty("image_id", out var id) || !id.TryGetInt64(out long key) || !a.TryGetProperty("caption", out var caption) || caption.ValueKind != JsonValueKind.String)
                throw new SieveFormatException($"{json}: an entry of \"annotations\" lacks a numeric \"image_id\" or a \"caption\"");
            // Captions files of a split may hold annotations of images listed elsewhere; those pairs are not ours.
            if (files.TryGetValue(key, out var file)) pairs.Add((file, caption.GetString()!.Trim()));
        }
        if (pairs.Count == 0) throw new SieveFormatException($"{json}: no caption belongs to an image the file lists");
        foreach (var file in pairs.Select(p => p.Item1).Distinct())
            if (!File.Exists(file)) throw new FileNotFoundException($"{json}: image '{file}' does not exist", file);
        return pairs.OrderBy(p => p.Item1, StringComparer.Ordinal).ToList();
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
