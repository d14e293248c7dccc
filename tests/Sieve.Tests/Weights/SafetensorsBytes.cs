using System.Buffers.Binary;
using System.Text;

namespace Sieve.Tests.Weights;

/// <summary>Builds safetensors files byte by byte, independently of <c>SafetensorsWriter</c>.</summary>
static class SafetensorsBytes
{
    /// <summary>The 8-byte header length, the header as written (no padding added), then the data.</summary>
    public static byte[] Build(string header, params byte[] data) =>
        Build(Encoding.UTF8.GetBytes(header), data);

    public static byte[] Build(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Little-endian bytes of float32 values.</summary>
    public static byte[] F32(params float[] values) =>
        values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();

    /// <summary>Little-endian bytes of 16-bit patterns (F16 or BF16).</summary>
    public static byte[] U16(params ushort[] values) =>
        values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();
}
