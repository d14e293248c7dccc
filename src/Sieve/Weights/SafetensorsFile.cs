using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Sieve.Weights;

/// <summary>
/// A safetensors file, memory-mapped read-only and validated on open: an 8-byte little-endian header length,
/// a JSON header of tensor entries, then the data section. Reads convert to float32 from the mapping
/// without loading the whole file, and may run concurrently (though not with <see cref="Dispose"/>). The file
/// is never written to.
/// </summary>
/// <remarks>
/// Malformed files raise <see cref="SieveFormatException"/> naming the file and the tensor or field; a missing
/// or unreadable file raises the usual <see cref="IOException"/>.
/// </remarks>
internal sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>Headers beyond this are refused rather than parsed; real ones are well under 1 MB.</summary>
    const long MaxHeaderLength = 100_000_000;

    /// <summary>Elements converted per step, keeping every source span under the 2 GB limit of a span.</summary>
    const int ChunkElements = 1 << 26;

    readonly MemoryMappedFile _mapping;
    readonly MemoryMappedViewAccessor _view;
    readonly byte* _data;
    bool _disposed;

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Tensor entries by name, in header order.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    SafetensorsFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* data, SafetensorsHeader header)
    {
        Path = path;
        _mapping = mapping;
        _view = view;
        _data = data;
        Tensors = header.Tensors;
        Metadata = header.Metadata;
    }

    /// <summary>Maps <paramref name="path"/> read-only (others may read it meanwhile) and validates its header.</summary>
    public static SafetensorsFile Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        // Checked before opening: a pipe reports 0 bytes, and opening it would wait for a writer.
        long fileLength = InputFile.Length(path);
        if (fileLength < 8)
            throw new SieveFormatException(
                $"safetensors file {path} is {fileLength} bytes long{(fileLength == 0 ? " (or a pipe or device)" : "")}; expected at least 8 (a header length, then the header)");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        byte* start = null;
        try
        {
            // An empty file cannot be mapped, hence the check above comes first.
            mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = mapping.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            start += view.PointerOffset;

            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(start, 8));
            if (headerLength > MaxHeaderLength || headerLength > (ulong)(fileLength - 8))
                throw new SieveFormatException(
                    $"safetensors file {path} declares a header of {headerLength} bytes; expected at most " +
                    $"{Math.Min(MaxHeaderLength, fileLength - 8)} (the {fileLength - 8} bytes after the length, and at most 100 MB)");

            var json = new ReadOnlySpan<byte>(start + 8, (int)headerLength).ToArray();
            long dataOffset = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(json, fileLength - dataOffset, path);
            return new SafetensorsFile(path, mapping, view, start + dataOffset, header);
        }
        catch
        {
            if (start != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            if (mapping != null) mapping.Dispose(); else stream.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => Tensors.ContainsKey(name);

    /// <summary>The entry for <paramref name="name"/>; a missing name raises an error suggesting close names.</summary>
    public TensorInfo Get(string name)
    {
        if (Tensors.TryGetValue(name, out var info)) return info;
        var hints = NameHints.Closest(name, Tensors.Keys);
        string hint = hints.Count > 0 ? $"; did you mean {string.Join(" or ", hints.Select(h => $"'{h}'"))}?" : "";
        throw new SieveFormatException($"tensor '{name}' not found in {Path} ({Tensors.Count} tensors){hint}");
    }

    /// <summary>Reads a tensor as a new float32 array, converting from F16, BF16 or F64.</summary>
    public float[] ReadFloats(string name)
    {
        var info = Get(name);
        var values = new float[CheckedArrayLength(info)];
        Read(info, values);
        return values;
    }

    /// <summary>Reads a tensor as float32 after checking that its shape is <paramref name="expectedShape"/>.</summary>
    public float[] ReadFloats(string name, params int[] expectedShape)
    {
        var values = new float[CheckedArrayLength(CheckShape(name, expectedShape))];
        ReadFloats(name, expectedShape, values);
        return values;
    }

    /// <summary>Reads a tensor of shape <paramref name="expectedShape"/> as float32 into <paramref name="destination"/> (its exact size).</summary>
    public void ReadFloats(string name, ReadOnlySpan<int> expectedShape, Span<float> destination)
    {
        var info = CheckShape(name, expectedShape);
        if (destination.Length != info.ElementCount)
            throw new ArgumentException($"destination holds {destination.Length} floats for tensor '{name}' of {info.ElementCount}", nameof(destination));
        Read(info, destination);
    }

    TensorInfo CheckShape(string name, ReadOnlySpan<int> expectedShape)
    {
        var info = Get(name);
        if (!info.HasShape(expectedShape))
            throw new SieveFormatException(
                $"tensor '{name}' in {Path} has shape {TensorInfo.FormatShape(info.Shape.AsSpan())}, " +
                $"expected {TensorInfo.FormatShape(expectedShape)}");
        return info;
    }

    /// <summary>Reads a tensor as float32 into <paramref name="destination"/>, which must hold exactly its elements.</summary>
    public void ReadFloats(string name, Span<float> destination)
    {
        var info = Get(name);
        if (destination.Length != info.ElementCount)
            throw new SieveFormatException(
                $"tensor '{name}' in {Path} has {info.ElementCount} elements (shape {TensorInfo.FormatShape(info.Shape.AsSpan())}), " +
                $"expected {destination.Length}");
        Read(info, destination);
    }

    void Read(TensorInfo info, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!info.DType.IsReadableAsFloat())
            throw new SieveFormatException(
                $"tensor '{info.Name}' in {Path} has dtype {info.DType.ToSafetensorsName()}; only F32, F16, BF16 and F64 can be read as floats");

        // Offsets and lengths were checked against the data section when the header was parsed.
        int size = info.DType.ElementSize();
        byte* source = _data + info.Offset;
        for (int i = 0; i < destination.Length; i += ChunkElements)
        {
            int count = Math.Min(ChunkElements, destination.Length - i);
            FloatConversion.ToSingle(info.DType, new ReadOnlySpan<byte>(source + (long)i * size, count * size), destination.Slice(i, count));
        }
    }

    int CheckedArrayLength(TensorInfo info) =>
        info.ElementCount <= Array.MaxLength
            ? (int)info.ElementCount
            : throw new SieveFormatException(
                $"tensor '{info.Name}' in {Path} has {info.ElementCount} elements, more than one float array can hold ({Array.MaxLength})");

    /// <summary>Unmaps the file; entries stay available, reads throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }
}
