using System.Text.Json;

namespace Sieve.Weights;

/// <summary>
/// One JSON object of a config file (<c>config.json</c>, <c>preprocessor_config.json</c>), read field
/// by field. Every error names the file and the dotted field path, and says what was expected and what
/// was found, e.g. "…/config.json: vision_config.hidden_size must be an integer, found "x".".
/// </summary>
internal sealed class JsonConfig
{
    readonly JsonElement _json;
    readonly string _source;
    readonly string _path;

    JsonConfig(JsonElement json, string source, string path)
    {
        if (json.ValueKind != JsonValueKind.Object)
            throw new SieveFormatException($"{source}: {(path.Length == 0 ? "the top level" : path)} must be a JSON object, found {Describe(json)}.");
        _json = json;
        _source = source;
        _path = path;
    }

    /// <summary>The raw JSON object.</summary>
    public JsonElement Element => _json;

    /// <summary>Reads and parses a JSON object from <paramref name="path"/>.</summary>
    public static JsonConfig Load(string path)
    {
        if (!InputFile.IsPresent(path)) throw new SieveFormatException($"{path}: file not found");
        InputFile.RequireContent(path, "a JSON object");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            return new JsonConfig(doc.RootElement.Clone(), path, "");
        }
        catch (JsonException e)
        {
            throw new SieveFormatException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>Wraps an already parsed object; <paramref name="path"/> is its dotted path in <paramref name="source"/> (empty for the top level).</summary>
    public static JsonConfig FromElement(JsonElement json, string source, string path = "") => new(json.Clone(), source, path);

    /// <summary>The field, or null where it is missing or JSON null (meaning: use the default).</summary>
    public JsonElement? Find(string name) =>
        _json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>True when the field exists and is not null.</summary>
    public bool Has(string name) => Find(name) != null;

    /// <summary>A field that must be present.</summary>
    public JsonElement Required(string name, string expected) =>
        Find(name) ?? throw new SieveFormatException($"{_source}: {Qualify(name)} is missing; expected {expected}.");

    /// <summary>A nested object; missing → error, unless <paramref name="optional"/> (then an empty object).</summary>
    public JsonConfig Section(string name, bool optional = false)
    {
        if (Find(name) is { } value) return new JsonConfig(value, _source, Qualify(name));
        if (optional) return new JsonConfig(JsonDocument.Parse("{}").RootElement.Clone(), _source, Qualify(name));
        return new JsonConfig(Required(name, "a JSON object"), _source, Qualify(name));
    }

    /// <summary>An integer field; missing → <paramref name="fallback"/>, or an error when there is none.</summary>
    public int Int(string name, int? fallback = null)
    {
        if (Find(name) is not { } v) return fallback ?? throw Missing(name, "an integer");
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Error(name, "an integer", v);
    }

    /// <summary>An integer field from <paramref name="min"/> to <paramref name="max"/>; missing → <paramref name="fallback"/>, or an error when there is none.</summary>
    public int Int(string name, int? fallback, int min, int max)
    {
        string expected = min == 1 ? $"a positive integer at most {max}" : $"an integer from {min} to {max}";
        if (Find(name) is not { } v) return fallback ?? throw Missing(name, expected);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i >= min && i <= max
            ? i
            : throw Error(name, expected, v);
    }

    /// <summary>A finite number field; missing → <paramref name="fallback"/>, or an error when there is none.</summary>
    public double Number(string name, double? fallback = null)
    {
        if (Find(name) is not { } v) return fallback ?? throw Missing(name, "a number");
        return FiniteNumber(v) ?? throw Error(name, "a number", v);
    }

    /// <summary>A string field; missing → <paramref name="fallback"/>, or an error when there is none.</summary>
    public string String(string name, string? fallback = null)
    {
        if (Find(name) is not { } v) return fallback ?? throw Missing(name, "a string");
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Error(name, "a string", v);
    }

    /// <summary>A boolean field; missing → <paramref name="fallback"/>.</summary>
    public bool Bool(string name, bool fallback) => Find(name) switch
    {
        null => fallback,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { } value => throw Error(name, "true or false", value),
    };

    /// <summary>The value of field <paramref name="name"/> as a positive finite number.</summary>
    public double PositiveNumber(string name, JsonElement value) =>
        FiniteNumber(value) is { } x && x > 0 ? x : throw Error(name, "a positive number", value);

    /// <summary>Fails unless the field is missing or holds <paramref name="only"/>, the one supported value.</summary>
    public void RequireIfPresent(string name, string only, string why)
    {
        if (Find(name) is { } value && !(value.ValueKind == JsonValueKind.String && value.GetString() == only))
            throw Error(name, $"\"{only}\" ({why})", value);
    }

    /// <summary>An array of exactly <paramref name="count"/> positive integers.</summary>
    public int[] PositiveInts(string name, JsonElement value, int count)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != count || !value.EnumerateArray().All(IsPositiveInt))
            throw Error(name, $"an array of {count} positive integers", value);
        return value.EnumerateArray().Select(v => v.GetInt32()).ToArray();
    }

    /// <summary>An array of three numbers, one per colour channel; positive ones where asked.</summary>
    public (float R, float G, float B) Rgb(string name, JsonElement value, bool positive)
    {
        string expected = positive ? "an array of 3 positive numbers (R, G, B)" : "an array of 3 numbers (R, G, B)";
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 3)
            throw Error(name, expected, value);
        var rgb = value.EnumerateArray().Select(v => (float)(FiniteNumber(v) ?? double.NaN)).ToArray();
        if (rgb.Any(v => !float.IsFinite(v) || (positive && v <= 0)))
            throw Error(name, expected, value);
        return (rgb[0], rgb[1], rgb[2]);
    }

    /// <summary>An optional map of class index → label (Hugging Face's <c>id2label</c>), dense from 0.</summary>
    public string[]? Labels(string name = "id2label")
    {
        if (Find(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Object) throw Error(name, "an object of index → label", v);
        var map = new Dictionary<int, string>();
        foreach (var p in v.EnumerateObject())
        {
            if (!int.TryParse(p.Name, out int i) || i < 0 || p.Value.ValueKind != JsonValueKind.String)
                throw Problem(name, $"entry \"{p.Name}\" must map a non-negative index to a string");
            map[i] = p.Value.GetString()!;
        }
        var labels = new string[map.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = map.TryGetValue(i, out var l) ? l : throw Problem(name, $"has no label for index {i}");
        return labels;
    }

    /// <summary>"FILE: PATH must be EXPECTED, found VALUE."</summary>
    public SieveFormatException Error(string name, string expected, JsonElement found) =>
        new($"{_source}: {Qualify(name)} must be {expected}, found {Describe(found)}.");

    /// <summary>"FILE: PATH PROBLEM", for checks that involve more than the field's own value.</summary>
    public SieveFormatException Problem(string name, string problem) => new($"{_source}: {Qualify(name)} {problem}");

    SieveFormatException Missing(string name, string expected) => new($"{_source}: {Qualify(name)} is missing; expected {expected}.");

    string Qualify(string name) => _path.Length == 0 ? name : $"{_path}.{name}";

    static bool IsPositiveInt(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) && n > 0;

    static double? FiniteNumber(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double x) && double.IsFinite(x) ? x : null;

    static string Describe(JsonElement value)
    {
        string text = value.GetRawText();
        return text.Length <= 60 ? text : text[..57] + "...";
    }
}
