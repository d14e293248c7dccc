using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Sieve.Tests.Data;

/// <summary>Writes minimal 8-bit PNG files (one IDAT chunk, no row filters) for decoder tests.</summary>
internal static class TestPng
{
    public enum ColorType : byte { Grey = 0, Rgb = 2, GreyAlpha = 4, Rgba = 6 }

    /// <summary>A PNG of the given samples, row by row, channels interleaved as the colour type says.</summary>
    public static byte[] Encode(int width, int height, ColorType type, byte[] samples)
    {
        int channels = type switch
        {
            ColorType.Grey => 1,
            ColorType.Rgb => 3,
            ColorType.GreyAlpha => 2,
            _ => 4,
        };
        Assert.Equal(width * height * channels, samples.Length);

        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter type None
                zlib.Write(samples, y * width * channels, width * channels);
            }
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth; compression, filter and interlace methods stay 0
        header[9] = (byte)type;

        var png = new MemoryStream();
        png.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    static void WriteChunk(Stream png, string type, byte[] data)
    {
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        var number = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        png.Write(number);
    }

    /// <summary>CRC-32 as PNG and zip use it (reflected polynomial 0xEDB88320), bit by bit.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
