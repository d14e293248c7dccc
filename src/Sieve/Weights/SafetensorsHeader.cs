using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Unicode;

namespace Sieve.Weights;

/// <summary>
/// The parsed and validated JSON header of a safetensors file: tensor entries in header order and the
/// optional <c>__metadata__</c> string map. Every check that can fail names the file and the tensor or
/// field, and says what was expected and what was found.
/// </summary>
internal sealed class SafetensorsHeader
{
    const string MetadataKey = "__metadata__";

    public required IReadOnlyDictionary<string, TensorInfo> Tensors { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>Parses <paramref name="json"/>; <paramref name="dataLength"/> is the size of the data section that follows it.</summary>
    public static SafetensorsHeader Parse(ReadOnlyMemory<byte> json, long dataLength, string path)
    {
        if (!Utf8.IsValid(json.Span))
            throw new SieveFormatException($"header of safetensors file {path} is not valid UTF-8");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new SieveFormatException($"header of safetensors file {path} is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SieveFormatException(
                    $"header of safetensors file {path} is a JSON {Kind(root)}; expected an object of tensor entries");

            var tensors = new Dictionary<string, TensorInfo>();
            var metadata = new Dictionary<string, string>();
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                    ReadMetadata(property.Value, metadata, path);
                else if (!tensors.TryAdd(property.Name, ReadTensor(property.Name, property.Value, dataLength, path)))
                    throw new SieveFormatException($"tensor '{property.Name}' appears more than once in {path}");
            }
            CheckNoOverlap(tensors.Values, path);
            return new SafetensorsHeader { Tensors = tensors.AsReadOnly(), Metadata = metadata.AsReadOnly() };
        }
    }

    static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SieveFormatException(
                $"'{MetadataKey}' in {path} is a JSON {Kind(value)}; expected an object of string values");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new SieveFormatException(
                    $"'{MetadataKey}.{entry.Name}' in {path} is a JSON {Kind(entry.Value)}; expected a string");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw new SieveFormatException($"'{MetadataKey}.{entry.Name}' appears more than once in {path}");
        }
    }

    static TensorInfo ReadTensor(string name, JsonElement entry, long dataLength, string path)
    {
        string where = $"tensor '{name}' in {path}";
        if (entry.ValueKind != JsonValueKind.Object)
            throw new SieveFormatException($"{where} is a JSON {Kind(entry)}; expected an object with dtype, shape and data_offsets");

        var dtypeName = Field(entry, "dtype", JsonValueKind.String, where).GetString()!;
        if (!DTypeExtensions.TryParseSafetensorsName(dtypeName, out var dtype))
            throw new SieveFormatException(
                $"{where} has unknown dtype '{dtypeName}'; expected one of " +
                string.Join(", ", Enum.GetValues<DType>().Select(d => d.ToSafetensorsName())));

        var shapeBuilder = ImmutableArray.CreateBuilder<int>();
        foreach (var dim in Field(entry, "shape", JsonValueKind.Array, where).EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out int size) || size < 0)
                throw new SieveFormatException(
                    $"{where} has shape entry {dim.GetRawText()}; expected a non-negative integer up to {int.MaxValue}");
            shapeBuilder.Add(size);
        }
        var shape = shapeBuilder.ToImmutable();

        var offsets = Field(entry, "data_offsets", JsonValueKind.Array, where);
        if (offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end)
            || begin < 0 || end < 0)
            throw new SieveFormatException(
                $"{where} has data_offsets {offsets.GetRawText()}; expected [begin, end], two non-negative integers");
        if (begin > end)
            throw new SieveFormatException($"{where} has data_offsets [{begin}, {end}]; expected begin <= end");
        if (end > dataLength)
            throw new SieveFormatException(
                $"{where} has data_offsets [{begin}, {end}], beyond the end of the data section ({dataLength} bytes)");

        long elementCount = 1, byteLength;
        try
        {
            foreach (int size in shape) elementCount = checked(elementCount * size);
            byteLength = checked(elementCount * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw new SieveFormatException($"{where} has shape {TensorInfo.FormatShape(shape.AsSpan())}, too large to address");
        }
        if (byteLength != end - begin)
            throw new SieveFormatException(
                $"{where} has shape {TensorInfo.FormatShape(shape.AsSpan())} of {dtypeName}, which takes {byteLength} bytes, " +
                $"but its data_offsets [{begin}, {end}] span {end - begin} bytes");

        return new TensorInfo(name, dtype, shape, begin, elementCount);
    }

    static JsonElement Field(JsonElement entry, string field, JsonValueKind kind, string where)
    {
        if (!entry.TryGetProperty(field, out var value))
            throw new SieveFormatException($"{where} has no '{field}'");
        if (value.ValueKind != kind)
            throw new SieveFormatException($"{where} has '{field}' of JSON {Kind(value)}; expected {kind.ToString().ToLowerInvariant()}");
        return value;
    }

    /// <summary>Sorted by start, non-empty ranges must each begin at or after the furthest end seen so far.</summary>
    static void CheckNoOverlap(IEnumerable<TensorInfo> tensors, string path)
    {
        TensorInfo? furthest = null;
        foreach (var t in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.Offset))
        {
            if (furthest != null && t.Offset < End(furthest))
                throw new SieveFormatException(
                    $"tensors '{furthest.Name}' (bytes [{furthest.Offset}, {End(furthest)}]) and '{t.Name}' " +
                    $"(bytes [{t.Offset}, {End(t)}]) overlap in {path}; expected disjoint byte ranges");
            if (furthest == null || End(t) > End(furthest)) furthest = t;
        }

        static long End(TensorInfo t) => t.Offset + t.ByteLength;
    }

    static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();
}
