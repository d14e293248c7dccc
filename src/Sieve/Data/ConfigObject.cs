using System.Text.Json;

namespace Sieve.Data;

/// <summary>
/// One JSON object of a config file, read field by field. Errors name the file and the field and say
/// what was expected and what was found.
/// </summary>
internal readonly struct ConfigObject
{
    readonly JsonElement _json;
    readonly string _source;
    readonly string _path;

    /// <param name="json">The object.</param>
    /// <param name="source">The file it came from, for messages.</param>
    /// <param name="path">Its dotted path in the file, for messages; empty for the top level.</param>
    public ConfigObject(JsonElement json, string source, string path)
    {
        _json = json;
        _source = source;
        _path = path;
        if (json.ValueKind != JsonValueKind.Object)
            throw new SieveFormatException(
                $"{source}: {(path.Length == 0 ? "the top level" : path)} must be a JSON object, found {Describe(json)}.");
    }

    /// <summary>The field, or null where it is missing or JSON null (meaning: use the default).</summary>
    public JsonElement? Find(string name) =>
        _json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>A field that must be present.</summary>
    public JsonElement Required(string name, string expected) =>
        Find(name) ?? throw new SieveFormatException(
            $"{_source}: {Qualify(name)} is missing; expected {expected}.");

    /// <summary>The nested object in field <paramref name="name"/>.</summary>
    public ConfigObject Nested(string name, JsonElement value) => new(value, _source, Qualify(name));

    /// <summary>A positive integer field that must be present.</summary>
    public int PositiveInt(string name) => PositiveInt(name, Required(name, "a positive integer"));

    public int PositiveInt(string name, JsonElement value) =>
        IsPositiveInt(value) ? value.GetInt32() : throw Error(name, "a positive integer", value);

    public double PositiveNumber(string name, JsonElement value) =>
        Number(value) is { } x && x > 0 ? x : throw Error(name, "a positive number", value);

    public bool Bool(string name, bool fallback) => Find(name) switch
    {
        null => fallback,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { } value => throw Error(name, "true or false", value),
    };

    /// <summary>Fails unless the field is missing or holds <paramref name="only"/>, the one supported value.</summary>
    public void RequireIfPresent(string name, string only, string why)
    {
        if (Find(name) is { } value && !(value.ValueKind == JsonValueKind.String && value.GetString() == only))
            throw Error(name, $"\"{only}\" ({why})", value);
    }

    /// <summary>An array of exactly <paramref name="count"/> positive integers.</summary>
    public int[] PositiveInts(string name, JsonElement value, int count)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != count
            || !value.EnumerateArray().All(IsPositiveInt))
            throw Error(name, $"an array of {count} positive integers", value);
        return value.EnumerateArray().Select(v => v.GetInt32()).ToArray();
    }

    /// <summary>An array of three numbers, one per colour channel; positive ones where asked.</summary>
    public (float R, float G, float B) Rgb(string name, JsonElement value, bool positive)
    {
        string expected = positive ? "an array of 3 positive numbers (R, G, B)" : "an array of 3 numbers (R, G, B)";
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 3)
            throw Error(name, expected, value);
        var rgb = value.EnumerateArray().Select(v => (float)(Number(v) ?? double.NaN)).ToArray();
        if (rgb.Any(v => !float.IsFinite(v) || (positive && v <= 0)))
            throw Error(name, expected, value);
        return (rgb[0], rgb[1], rgb[2]);
    }

    public SieveFormatException Error(string name, string expected, JsonElement found) =>
        new($"{_source}: {Qualify(name)} must be {expected}, found {Describe(found)}.");

    string Qualify(string name) => _path.Length == 0 ? name : $"{_path}.{name}";

    static bool IsPositiveInt(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) && n > 0;

    static double? Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double x) && double.IsFinite(x) ? x : null;

    static string Describe(JsonElement value)
    {
        string text = value.GetRawText();
        return text.Length <= 60 ? text : text[..57] + "...";
    }
}
