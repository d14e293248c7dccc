using System.Buffers.Binary;
using System.Text;

namespace Sieve.Export;

/// <summary>
/// The Protocol Buffers wire format, written field by field straight to a stream. Every field is a tag —
/// varint(field number · 8 + wire type) — then its value: a varint, 4 little-endian bytes, or a varint
/// length followed by that many bytes (strings, byte blobs, nested messages).
/// </summary>
/// <remarks>
/// A nested message's length comes before its bytes, so <see cref="Message"/> runs the message's body
/// twice: once on a counting writer (which stores nothing) to learn the length, then for real. A body at
/// nesting depth d therefore runs d + 1 times; bodies only write fields, so that costs arithmetic, not
/// copies — large tensors go from the caller's array to the stream once.
/// </remarks>
internal sealed class ProtobufWriter
{
    /// <summary>How a field's value is laid out after its tag.</summary>
    public enum WireType
    {
        /// <summary>A base-128 varint: 7 bits a byte, least significant first, high bit = more follows.</summary>
        Varint = 0,
        /// <summary>A varint byte count, then the bytes.</summary>
        LengthDelimited = 2,
        /// <summary>Four little-endian bytes (float, fixed32).</summary>
        Fixed32 = 5,
    }

    readonly Stream? _stream;

    /// <summary>Writes to <paramref name="stream"/>.</summary>
    public ProtobufWriter(Stream stream) => _stream = stream;

    ProtobufWriter() => _stream = null;

    /// <summary>Bytes written (or, on a counting writer, counted) so far.</summary>
    public long Length { get; private set; }

    /// <summary>The encoded size of what <paramref name="body"/> writes, without storing it.</summary>
    public static long SizeOf(Action<ProtobufWriter> body)
    {
        var counter = new ProtobufWriter();
        body(counter);
        return counter.Length;
    }

    /// <summary>A bare varint (no tag).</summary>
    public void Varint(ulong value)
    {
        Span<byte> buffer = stackalloc byte[10];
        int n = 0;
        while (value >= 0x80)
        {
            buffer[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[n++] = (byte)value;
        Raw(buffer[..n]);
    }

    /// <summary>A field's tag: varint(field · 8 + wire type).</summary>
    public void Tag(int field, WireType type)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(field, 1);
        Varint(((ulong)field << 3) | (ulong)type);
    }

    /// <summary>An int64 / int32 / enum field. Negative values take ten bytes (two's complement, as protobuf's int64).</summary>
    public void Int64(int field, long value)
    {
        Tag(field, WireType.Varint);
        Varint((ulong)value);
    }

    /// <summary>A float field: four little-endian IEEE 754 bytes.</summary>
    public void Float(int field, float value)
    {
        Tag(field, WireType.Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        Raw(bytes);
    }

    /// <summary>A string field, UTF-8 encoded.</summary>
    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireType.LengthDelimited);
        Varint((ulong)value.Length);
        Raw(value);
    }

    /// <summary>A nested message field whose fields <paramref name="body"/> writes.</summary>
    public void Message(int field, Action<ProtobufWriter> body)
    {
        long size = SizeOf(body);
        Tag(field, WireType.LengthDelimited);
        Varint((ulong)size);
        if (_stream == null)
        {
            Length += size;
            return;
        }
        long start = Length;
        body(this);
        // A body that writes differently the second time would leave a wrong length prefix: fail loudly.
        if (Length - start != size)
            throw new InvalidOperationException($"field {field}: message body wrote {Length - start} bytes after measuring {size}");
    }

    void Raw(ReadOnlySpan<byte> bytes)
    {
        _stream?.Write(bytes);
        Length += bytes.Length;
    }
}
