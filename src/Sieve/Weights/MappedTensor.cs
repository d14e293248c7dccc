using System.IO.MemoryMappedFiles;

namespace Sieve.Weights;

/// <summary>
/// One tensor's stored bytes left in its checkpoint file and mapped read-only for as long as this object lives: a
/// token table read a few rows at a time. Only the pages of the rows read become part of the process's memory,
/// where a copy would hold them all (CLIP ViT-B/16's 49,408 × 512 table: 101 MB float32, of which a 77-token text
/// touches at most 77 pages). The mapping is released with this object (its handles' finalizers), so the file
/// must not be rewritten in place meanwhile.
/// </summary>
internal sealed class MappedTensor
{
    readonly MemoryMappedFile _mapping;
    readonly MemoryMappedViewAccessor _view;

    /// <summary>The element type stored.</summary>
    public DType DType { get; }

    /// <summary>The tensor's length in bytes.</summary>
    public long ByteLength { get; }

    MappedTensor(MemoryMappedFile mapping, MemoryMappedViewAccessor view, DType dtype, long byteLength)
    {
        (_mapping, _view, DType, ByteLength) = (mapping, view, dtype, byteLength);
    }

    /// <summary>Maps the <paramref name="byteLength"/> bytes at <paramref name="offset"/> of <paramref name="path"/> (checked by the caller to lie in it).</summary>
    public static MappedTensor Open(string path, long offset, long byteLength, DType dtype)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        MemoryMappedFile? mapping = null;
        try
        {
            mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            var view = mapping.CreateViewAccessor(offset, byteLength, MemoryMappedFileAccess.Read);
            return new MappedTensor(mapping, view, dtype, byteLength);
        }
        catch
        {
            if (mapping != null) mapping.Dispose(); else stream.Dispose();
            throw;
        }
    }

    /// <summary>Copies the bytes at <paramref name="offset"/> of the tensor into <paramref name="destination"/>.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset > ByteLength - destination.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"read of {destination.Length} bytes outside a {ByteLength}-byte tensor");
        // The view begins at the page holding the tensor's first byte; PointerOffset is the tensor's place in that page.
        _view.SafeMemoryMappedViewHandle.ReadSpan((ulong)(_view.PointerOffset + offset), destination);
    }
}
