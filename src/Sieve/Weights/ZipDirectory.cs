using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Sieve.Weights;

/// <summary>One file of a zip archive, located: its data starts at <see cref="DataOffset"/> in the archive.</summary>
/// <param name="Name">The entry's path inside the archive.</param>
/// <param name="Method">Compression method: 0 stored, 8 deflate.</param>
/// <param name="CompressedSize">Bytes the entry occupies in the archive.</param>
/// <param name="Size">Bytes once decompressed (as declared).</param>
/// <param name="DataOffset">Where the entry's data begins, from the start of the archive.</param>
internal sealed record ZipEntry(string Name, int Method, long CompressedSize, long Size, long DataOffset)
{
    /// <summary>Compression method of an entry stored as it is.</summary>
    public const int Stored = 0;

    /// <summary>Compression method of a deflated entry.</summary>
    public const int Deflated = 8;
}

/// <summary>
/// Reads a zip archive's central directory (ZIP64 included) from a mapped file, checking every entry against the
/// file: its local header and data lie inside the archive, before the directory, and no two entries share bytes
/// (overlapping entries are how zip bombs multiply a small file). Nothing is decompressed here.
/// </summary>
internal static class ZipDirectory
{
    const uint EndSignature = 0x06054b50, Zip64EndSignature = 0x06064b50, Zip64LocatorSignature = 0x07064b50;
    const uint CentralSignature = 0x02014b50, LocalSignature = 0x04034b50;
    const int EndLength = 22, CentralLength = 46, LocalLength = 30;

    /// <summary>The first four bytes of a zip archive (a local file header).</summary>
    public static bool HasZipSignature(MappedFile file) => file.Length >= 4 && U32(file, 0) == LocalSignature;

    /// <summary>The archive's entries by name.</summary>
    /// <exception cref="SieveFormatException">The directory is missing, cut short or inconsistent with the file.</exception>
    public static Dictionary<string, ZipEntry> Read(MappedFile file, string path)
    {
        long end = FindEnd(file, path);
        long count = U16(file, end + 10), size = U32(file, end + 12), start = U32(file, end + 16);
        if (count == 0xFFFF || size == 0xFFFFFFFF || start == 0xFFFFFFFF)
            (count, size, start) = Zip64End(file, end, path);
        if (start < 0 || size < 0 || start > end || size > end - start)
            throw Broken(path, $"the central directory ({size} bytes at {start}) does not lie before its end record at {end}");
        if (count < 0 || count > size / CentralLength)
            throw Broken(path, $"the central directory declares {count} entries, more than its {size} bytes can hold");

        var entries = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        var spans = new List<(long Start, long End, string Name)>();
        long at = start;
        for (long i = 0; i < count; i++)
        {
            if (CentralLength > start + size - at || U32(file, at) != CentralSignature)
                throw Broken(path, $"central directory entry {i} at byte {at} is cut short or has no signature");
            int flags = U16(file, at + 8), method = U16(file, at + 10);
            long compressed = U32(file, at + 20), length = U32(file, at + 24), local = U32(file, at + 42);
            int nameLength = U16(file, at + 28), extraLength = U16(file, at + 30), commentLength = U16(file, at + 32);
            long next = at + CentralLength + nameLength + extraLength + commentLength;
            if (next > start + size) throw Broken(path, $"central directory entry {i} runs past the directory's end");
            string name = Name(file, at + CentralLength, nameLength, path);
            (length, compressed, local) = Zip64Sizes(file, at + CentralLength + nameLength, extraLength, length, compressed, local, name, path);
            if ((flags & 1) != 0) throw Broken(path, $"entry '{name}' is encrypted");
            if (method is not (ZipEntry.Stored or ZipEntry.Deflated))
                throw Broken(path, $"entry '{name}' uses compression method {method}; expected 0 (stored) or 8 (deflate)");
            if (method == ZipEntry.Stored && compressed != length)
                throw Broken(path, $"entry '{name}' is stored uncompressed but declares {compressed} bytes in the archive and {length} once extracted");

            if (local > start - LocalLength || U32(file, local) != LocalSignature)
                throw Broken(path, $"entry '{name}' has no local header at byte {local}");
            int localName = U16(file, local + 26), localExtra = U16(file, local + 28);
            long data = local + LocalLength + localName + localExtra;
            if (data > start || compressed > start - data)
                throw Broken(path, $"entry '{name}' ({compressed} bytes at {data}) runs past the end of the data (byte {start}); the file is cut short");
            if (Name(file, local + LocalLength, localName, path) != name)
                throw Broken(path, $"entry '{name}' has another name in its local header");
            if (!entries.TryAdd(name, new ZipEntry(name, method, compressed, length, data)))
                throw Broken(path, $"entry '{name}' appears twice");
            spans.Add((local, data + compressed, name));
            at = next;
        }
        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (int i = 1; i < spans.Count; i++)
            if (spans[i].Start < spans[i - 1].End)
                throw Broken(path, $"entries '{spans[i - 1].Name}' and '{spans[i].Name}' overlap");
        return entries;
    }

    /// <summary>
    /// The bytes of <paramref name="entry"/> in memory, decompressed when deflated, refusing entries declared larger
    /// than <paramref name="maxSize"/> and any whose data does not inflate to exactly the declared size.
    /// </summary>
    public static unsafe byte[] ReadAll(MappedFile file, ZipEntry entry, long maxSize, string path)
    {
        if (entry.Size > maxSize)
            throw Broken(path, $"entry '{entry.Name}' declares {entry.Size} bytes; expected at most {maxSize}");
        if (entry.Method == ZipEntry.Stored) return file.Span(entry.DataOffset, (int)entry.Size).ToArray();
        var result = new byte[entry.Size];
        using var compressed = new UnmanagedMemoryStream(file.Start + entry.DataOffset, entry.CompressedSize);
        using var inflate = new DeflateStream(compressed, CompressionMode.Decompress);
        try
        {
            int filled = 0, read;
            while (filled < result.Length && (read = inflate.Read(result, filled, result.Length - filled)) > 0) filled += read;
            Span<byte> more = stackalloc byte[1];
            if (filled < result.Length || inflate.Read(more) != 0)
                throw Broken(path, $"entry '{entry.Name}' does not inflate to its declared {entry.Size} bytes");
        }
        catch (InvalidDataException e)
        {
            throw Broken(path, $"entry '{entry.Name}' is not valid deflate data ({e.Message})");
        }
        return result;
    }

    static long FindEnd(MappedFile file, string path)
    {
        // The end record is the last thing in the file, followed only by its comment (at most 65535 bytes).
        for (long at = file.Length - EndLength; at >= Math.Max(0, file.Length - EndLength - 0xFFFF); at--)
            if (U32(file, at) == EndSignature && at + EndLength + U16(file, at + 20) == file.Length)
                return at;
        throw Broken(path, "no end-of-central-directory record; the file is cut short or not a zip archive");
    }

    static (long Count, long Size, long Start) Zip64End(MappedFile file, long end, string path)
    {
        if (end < 20 || U32(file, end - 20) != Zip64LocatorSignature)
            throw Broken(path, "the end record points to a ZIP64 record, which is missing");
        long record = U64(file, end - 12);
        if (record < 0 || record > end - 20 - 56 || U32(file, record) != Zip64EndSignature)
            throw Broken(path, $"the ZIP64 end record at byte {record} is missing or lies outside the file");
        return (U64(file, record + 32), U64(file, record + 40), U64(file, record + 48));
    }

    /// <summary>The ZIP64 extra field replaces, in order, each 32-bit size or offset that is 0xFFFFFFFF.</summary>
    static (long Length, long Compressed, long Local) Zip64Sizes(MappedFile file, long extra, int extraLength, long length, long compressed, long local, string name, string path)
    {
        if (length != 0xFFFFFFFF && compressed != 0xFFFFFFFF && local != 0xFFFFFFFF) return (length, compressed, local);
        for (long at = extra; at + 4 <= extra + extraLength;)
        {
            int id = U16(file, at), blockLength = U16(file, at + 2);
            long block = at + 4, blockEnd = block + blockLength;
            if (blockEnd > extra + extraLength) break;
            if (id == 1)
            {
                long Next(long value)
                {
                    if (value != 0xFFFFFFFF) return value;
                    if (block + 8 > blockEnd) throw Broken(path, $"entry '{name}' has a ZIP64 field too short for its sizes");
                    long wide = U64(file, block);
                    block += 8;
                    return wide >= 0 ? wide : throw Broken(path, $"entry '{name}' declares a size or offset beyond 2^63");
                }
                length = Next(length);
                compressed = Next(compressed);
                local = Next(local);
                return (length, compressed, local);
            }
            at = blockEnd;
        }
        throw Broken(path, $"entry '{name}' needs a ZIP64 field for its sizes and has none");
    }

    static string Name(MappedFile file, long at, int length, string path)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(file.Span(at, length));
        }
        catch (DecoderFallbackException)
        {
            throw Broken(path, $"an entry name at byte {at} is not UTF-8");
        }
    }

    static SieveFormatException Broken(string path, string problem) => new($"{path}: not a readable zip archive: {problem}");

    // Callers check positions against the file first; reading outside it gives -1, which every check refuses.
    static int U16(MappedFile file, long at) => at >= 0 && at + 2 <= file.Length ? BinaryPrimitives.ReadUInt16LittleEndian(file.Span(at, 2)) : -1;
    static long U32(MappedFile file, long at) => at >= 0 && at + 4 <= file.Length ? BinaryPrimitives.ReadUInt32LittleEndian(file.Span(at, 4)) : -1;
    static long U64(MappedFile file, long at) => at >= 0 && at + 8 <= file.Length ? (long)BinaryPrimitives.ReadUInt64LittleEndian(file.Span(at, 8)) : -1;
}
