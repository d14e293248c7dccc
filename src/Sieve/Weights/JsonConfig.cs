using System.Text.Json;

namespace Sieve.Weights;

/// <summary>
/// Typed, path-aware reads from a model's <c>config.json</c>: every failure names the file, the
/// field path and what was expected, e.g. "config.json: 'vision_config.hidden_size' must be an integer, got "x"".
/// </summary>
public sealed class JsonConfig
{
    readonly JsonElement _root;
    readonly string _file;
    readonly string _prefix;

    JsonConfig(JsonElement root, string file, string prefix)
    {
        _root = root;
        _file = file;
        _prefix = prefix;
    }

    /// <summary>The raw JSON object.</summary>
    public JsonElement Element => _root;

    /// <summary>Reads and parses a JSON object from <paramref name="path"/>.</summary>
    public static JsonConfig Load(string path)
    {
        if (!File.Exists(path)) throw new SieveFormatException($"{path}: file not found");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SieveFormatException($"{path}: expected a JSON object, got {doc.RootElement.ValueKind}");
            return new JsonConfig(doc.RootElement.Clone(), path, "");
        }
        catch (JsonException e)
        {
            throw new SieveFormatException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>True when the field exists and is not null.</summary>
    public bool Has(string name) => _root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>A nested object; missing → error, unless <paramref name="optional"/> (then an empty object).</summary>
    public JsonConfig Section(string name, bool optional = false)
    {
        if (!_root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (optional) return new JsonConfig(JsonDocument.Parse("{}").RootElement.Clone(), _file, Path(name) + ".");
            throw Missing(name);
        }
        if (v.ValueKind != JsonValueKind.Object) throw Wrong(name, "an object", v);
        return new JsonConfig(v, _file, Path(name) + ".");
    }

    /// <summary>A required (or defaulted) integer field.</summary>
    public int Int(string name, int? fallback = null)
    {
        if (!Has(name)) return fallback ?? throw Missing(name);
        var v = _root.GetProperty(name);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Wrong(name, "an integer", v);
    }

    /// <summary>A required (or defaulted) number field.</summary>
    public double Number(string name, double? fallback = null)
    {
        if (!Has(name)) return fallback ?? throw Missing(name);
        var v = _root.GetProperty(name);
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Wrong(name, "a number", v);
    }

    /// <summary>A required (or defaulted) string field.</summary>
    public string String(string name, string? fallback = null)
    {
        if (!Has(name)) return fallback ?? throw Missing(name);
        var v = _root.GetProperty(name);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Wrong(name, "a string", v);
    }

    /// <summary>An optional map of class index → label (Hugging Face's <c>id2label</c>), dense from 0.</summary>
    public string[]? Labels(string name = "id2label")
    {
        if (!Has(name)) return null;
        var v = _root.GetProperty(name);
        if (v.ValueKind != JsonValueKind.Object) throw Wrong(name, "an object of index → label", v);
        var map = new Dictionary<int, string>();
        foreach (var p in v.EnumerateObject())
        {
            if (!int.TryParse(p.Name, out int i) || i < 0 || p.Value.ValueKind != JsonValueKind.String)
                throw new SieveFormatException($"{_file}: '{Path(name)}' entry \"{p.Name}\" must map a non-negative index to a string");
            map[i] = p.Value.GetString()!;
        }
        var labels = new string[map.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = map.TryGetValue(i, out var l) ? l : throw new SieveFormatException($"{_file}: '{Path(name)}' has no label for index {i}");
        return labels;
    }

    /// <summary>Raises a format error about field <paramref name="name"/>.</summary>
    public SieveFormatException Error(string name, string problem) => new($"{_file}: '{Path(name)}' {problem}");

    string Path(string name) => _prefix + name;
    SieveFormatException Missing(string name) => new($"{_file}: required field '{Path(name)}' is missing");
    SieveFormatException Wrong(string name, string expected, JsonElement got) =>
        new($"{_file}: '{Path(name)}' must be {expected}, got {(got.ValueKind == JsonValueKind.String ? $"\"{got.GetString()}\"" : got.GetRawText())}");
}
