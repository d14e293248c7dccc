using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Sieve.Weights;

/// <summary>
/// A safetensors file, memory-mapped read-only and validated on open: an 8-byte little-endian header length,
/// a JSON header of tensor entries, then the data section. Reads convert to float32 from the mapping
/// without loading the whole file.
/// </summary>
internal sealed class SafetensorsFile : TensorFile
{
    /// <summary>Headers beyond this are refused rather than parsed; real ones are well under 1 MB.</summary>
    const long MaxHeaderLength = 100_000_000;

    readonly MappedFile _file;
    readonly long _dataOffset;

    /// <summary>The header's <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    SafetensorsFile(string path, MappedFile file, long dataOffset, SafetensorsHeader header) : base(path, header.Tensors)
    {
        _file = file;
        _dataOffset = dataOffset;
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
        var file = MappedFile.Open(path, fileLength);
        try
        {
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(0, 8));
            if (headerLength > MaxHeaderLength || headerLength > (ulong)(fileLength - 8))
                throw new SieveFormatException(
                    $"safetensors file {path} declares a header of {headerLength} bytes; expected at most " +
                    $"{Math.Min(MaxHeaderLength, fileLength - 8)} (the {fileLength - 8} bytes after the length, and at most 100 MB)");

            var json = file.Span(8, (int)headerLength).ToArray();
            long dataOffset = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(json, fileLength - dataOffset, path);
            return new SafetensorsFile(path, file, dataOffset, header);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    protected override void Read(TensorInfo info, Span<float> destination)
    {
        // Offsets and lengths were checked against the data section when the header was parsed.
        TensorBytes.ToSingle(_file, _dataOffset + info.Offset, info.DType, destination);
        _file.Evict(_dataOffset + info.Offset, info.ByteLength);
    }

    /// <inheritdoc/>
    public override void CopyBytes(TensorInfo info, Stream destination)
    {
        TensorBytes.Copy(_file, _dataOffset + info.Offset, info.ByteLength, destination);
        _file.Evict(_dataOffset + info.Offset, info.ByteLength);
    }

    /// <inheritdoc/>
    public override MappedTensor? Map(TensorInfo info)
    {
        if (info.DType is not (DType.F32 or DType.I8) || info.ByteLength > int.MaxValue) return null;
        long start = _dataOffset + info.Offset;
        if (info.DType == DType.F32)
        {
            // Checked where it lies, as a read would check it; then its pages are dropped again.
            FiniteValues.Require(MemoryMarshal.Cast<byte, float>(_file.Span(start, (int)info.ByteLength)), info.Name, Path, info.Shape.AsSpan());
            _file.Evict(start, info.ByteLength);
        }
        return MappedTensor.Open(Path, start, info.ByteLength, info.DType);
    }

    /// <inheritdoc/>
    public override void Dispose() => _file.Dispose();
}
