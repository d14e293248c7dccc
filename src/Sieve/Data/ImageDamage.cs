using System.Buffers.Binary;

namespace Sieve.Data;

/// <summary>
/// Finds damage in a JPEG or PNG file that stb_image decodes over without complaint. stb fills image data
/// missing from a JPEG cut short with zeros (a grey or smeared lower part), and reads PNG chunks without
/// checking their CRCs; libjpeg and Pillow warn or fail where this reports. Both walks read the file's
/// structure only — markers and segment lengths, chunks and checksums — not the compressed pixels.
/// </summary>
internal static class ImageDamage
{
    /// <summary>What is wrong with <paramref name="data"/>, or null when nothing is found (or it is neither JPEG nor PNG).</summary>
    public static string? Find(ReadOnlySpan<byte> data)
    {
        if (data is [0xFF, 0xD8, ..]) return InJpeg(data);
        if (data.StartsWith(PngSignature)) return InPng(data);
        return null;
    }

    const string JpegCut = "the JPEG is cut short: it ends before its end-of-image marker";

    static string? InJpeg(ReadOnlySpan<byte> data)
    {
        int i = 2; // after the start-of-image marker
        while (true)
        {
            if (i >= data.Length) return JpegCut;
            if (data[i] != 0xFF) return $"the JPEG is corrupt: expected a marker at byte {i}, found 0x{data[i]:X2}";
            while (i < data.Length && data[i] == 0xFF) i++; // fill bytes may precede a marker
            if (i >= data.Length) return JpegCut;
            byte marker = data[i++];
            if (marker == 0xD9) return null; // end of image; anything after it is ignored, as decoders do
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) continue; // markers without a length
            if (marker < 0xC0 || marker == 0xD8)
                return $"the JPEG is corrupt: marker 0xFF{marker:X2} at byte {i - 2} has no meaning there";
            if (i + 2 > data.Length) return JpegCut;
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            if (length < 2) return $"the JPEG is corrupt: the segment at byte {i - 2} declares a length of {length}";
            i += length;
            if (i > data.Length) return JpegCut;
            if (marker == 0xDA && ScanEnd(data, ref i) is { } damage) return damage;
        }
    }

    /// <summary>
    /// Moves <paramref name="i"/> past the entropy-coded data of a scan to the marker that ends it. Inside, 0xFF is
    /// followed by a stuffed 0x00 or is a restart marker, which must count 0 to 7 in turn.
    /// </summary>
    static string? ScanEnd(ReadOnlySpan<byte> data, ref int i)
    {
        int restart = 0;
        while (true)
        {
            int next = data[i..].IndexOf((byte)0xFF);
            if (next < 0 || i + next + 1 >= data.Length) return JpegCut;
            i += next;
            byte after = data[i + 1];
            if (after == 0x00) i += 2;
            else if (after is >= 0xD0 and <= 0xD7)
            {
                if (after - 0xD0 != restart)
                    return $"the JPEG is corrupt: restart marker {after - 0xD0} at byte {i} where {restart} was due";
                restart = (restart + 1) % 8;
                i += 2;
            }
            else if (after == 0xFF) i++; // a fill byte before the marker
            else return null;
        }
    }

    static ReadOnlySpan<byte> PngSignature => [137, 80, 78, 71, 13, 10, 26, 10];

    static string? InPng(ReadOnlySpan<byte> data)
    {
        const string cut = "the PNG is cut short: it ends before its IEND chunk";
        int i = PngSignature.Length;
        while (true)
        {
            if (i + 8 > data.Length) return cut;
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
            if (length > int.MaxValue || i + 12L + length > data.Length) return cut;
            var typed = data.Slice(i + 4, 4 + (int)length); // the CRC covers the type and the data
            string type = System.Text.Encoding.ASCII.GetString(typed[..4]);
            if (Crc32(typed) != BinaryPrimitives.ReadUInt32BigEndian(data[(i + 8 + (int)length)..]))
                return $"the PNG is corrupt: the CRC of its {type} chunk at byte {i} does not match";
            if (type == "IEND") return null;
            i += 12 + (int)length;
        }
    }

    static readonly uint[] CrcTable = MakeCrcTable();

    static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>CRC-32 as PNG defines it (reflected polynomial 0xEDB88320).</summary>
    static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFF;
    }
}
