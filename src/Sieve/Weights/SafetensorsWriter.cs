using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sieve.Weights;

/// <summary>
/// Builds a safetensors file from float32 tensors, stored as F32, F16 or BF16 (rounded to nearest even), or from
/// tensors already in bytes of any dtype, written only when the file is saved (<see cref="AddBytes"/>).
/// The output follows the reference implementation: tensors in ordinal name order, the header padded with
/// spaces to a multiple of 8 bytes. <see cref="Save"/> writes through <see cref="AtomicFile"/>, so readers never see a partial file.
/// </summary>
/// <example><code>
/// new SafetensorsWriter()
///     .Add("head.weight", [10, 4], weights, DType.F16)
///     .AddMetadata("format", "pt")
///     .Save("model.safetensors");
/// </code></example>
internal sealed class SafetensorsWriter
{
    readonly SortedDictionary<string, Entry> _tensors = new(StringComparer.Ordinal);
    readonly SortedDictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>A tensor: its dtype, shape, byte length, and what writes its bytes.</summary>
    sealed record Entry(DType DType, int[] Shape, long Length, Action<Stream> Write);

    /// <summary>
    /// Adds a tensor, converting <paramref name="data"/> (row-major, <paramref name="shape"/>'s element count)
    /// to <paramref name="dtype"/> now, so the caller may reuse its buffer.
    /// </summary>
    public SafetensorsWriter Add(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> data, DType dtype = DType.F32)
    {
        if (dtype is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentException($"tensor '{name}': can write F32, F16 or BF16, not {dtype}", nameof(dtype));
        long count = Check(name, shape);
        if (count != data.Length)
            throw new ArgumentException(
                $"tensor '{name}' has shape {TensorInfo.FormatShape(shape)} ({count} elements) but {data.Length} values were given", nameof(data));

        var bytes = new byte[checked(count * dtype.ElementSize())];
        FloatConversion.FromSingle(dtype, data, bytes);
        _tensors.Add(name, new Entry(dtype, shape.ToArray(), bytes.Length, stream => stream.Write(bytes)));
        return this;
    }

    /// <summary>
    /// Adds a tensor of any dtype whose bytes (little-endian, row-major, shape × element size of them) <paramref name="write"/>
    /// writes when the file is saved, so a checkpoint is copied one tensor at a time.
    /// </summary>
    public SafetensorsWriter AddBytes(string name, ReadOnlySpan<int> shape, DType dtype, Action<Stream> write)
    {
        long length = checked(Check(name, shape) * dtype.ElementSize());
        _tensors.Add(name, new Entry(dtype, shape.ToArray(), length, write));
        return this;
    }

    /// <summary>Checks a new tensor's name and shape; returns its element count.</summary>
    long Check(string name, ReadOnlySpan<int> shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__")
            throw new ArgumentException("'__metadata__' is reserved for the metadata map", nameof(name));
        if (_tensors.ContainsKey(name))
            throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        long count = 1;
        foreach (int size in shape)
        {
            if (size < 0)
                throw new ArgumentException($"tensor '{name}' has shape {TensorInfo.FormatShape(shape)}; sizes must be non-negative", nameof(shape));
            count = checked(count * size);
        }
        return count;
    }

    /// <summary>Adds (or replaces) an entry of the header's <c>__metadata__</c> map.</summary>
    public SafetensorsWriter AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
        return this;
    }

    /// <summary>Writes the file, replacing any file at <paramref name="path"/> only once it is complete.</summary>
    public void Save(string path)
    {
        var header = Header();
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (name, entry) in _tensors)
            {
                long start = stream.Position;
                entry.Write(stream);
                if (stream.Position - start != entry.Length)
                    throw new InvalidOperationException($"tensor '{name}' wrote {stream.Position - start} bytes, expected {entry.Length}");
            }
        });
    }

    /// <summary>The JSON header, padded with spaces so the data section starts 8-byte aligned.</summary>
    byte[] Header()
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps names such as "a+b" readable; the JSON is equally valid either way.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in _metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, entry) in _tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", entry.DType.ToSafetensorsName());
                json.WriteStartArray("shape");
                foreach (int size in entry.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += entry.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padding = (8 - buffer.WrittenCount % 8) % 8;
        buffer.GetSpan(padding)[..padding].Fill((byte)' ');
        buffer.Advance(padding);
        return buffer.WrittenSpan.ToArray();
    }
}
