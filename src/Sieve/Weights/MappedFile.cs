using System.IO.MemoryMappedFiles;

namespace Sieve.Weights;

/// <summary>
/// A whole file mapped read-only (others may read it meanwhile), exposed as a pointer and a length. Checkpoint
/// readers hand out spans of it, so a tensor is converted straight from the page cache without a copy of the file.
/// </summary>
internal sealed unsafe partial class MappedFile : IDisposable
{
    readonly MemoryMappedFile _mapping;
    readonly MemoryMappedViewAccessor _view;
    bool _disposed;

    /// <summary>The first byte of the file.</summary>
    public byte* Start { get; }

    /// <summary>The file's length in bytes (at least 1).</summary>
    public long Length { get; }

    MappedFile(MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* start, long length)
    {
        _mapping = mapping;
        _view = view;
        Start = start;
        Length = length;
    }

    /// <summary>Maps <paramref name="path"/>, which the caller has checked to be a file of <paramref name="length"/> &gt; 0 bytes.</summary>
    public static MappedFile Open(string path, long length)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            // An empty file cannot be mapped: callers refuse those first.
            mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = mapping.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            return new MappedFile(mapping, view, start + view.PointerOffset, length);
        }
        catch
        {
            view?.Dispose();
            if (mapping != null) mapping.Dispose(); else stream.Dispose();
            throw;
        }
    }

    /// <summary>The bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>), which the caller has checked lie in the file.</summary>
    /// <exception cref="InvalidOperationException">They do not: a reader's own check is wrong (never the file's fault, which the reader reports).</exception>
    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // The last line of defence: a wrong check elsewhere fails here instead of reading memory past the mapping.
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new InvalidOperationException($"read of {length} bytes at {offset} outside the {Length}-byte mapping");
        return new ReadOnlySpan<byte>(Start + offset, length);
    }

    /// <summary>
    /// Drops the pages holding [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>), and a
    /// folio either side, from this process's memory once a tensor has been copied out, so a load's peak does not count the checkpoint twice
    /// (the copy and the mapped pages). Read-only pages come back from the file if read again; off Linux, nothing is done.
    /// </summary>
    public void Evict(long offset, long length)
    {
        if (!OperatingSystem.IsLinux() || _disposed || length <= 0) return;
        // Widened by the largest page-cache folio on each side: reading the next tensor maps its whole folio, so pages of
        // this one sharing a folio with it would come back (measured: 46 MB of a 148 MB int8 checkpoint stayed mapped).
        // Pages of other tensors dropped with them are mapped again from the page cache if they are read.
        long page = Environment.SystemPageSize, start = Math.Max(0, offset - FolioBytes) / page * page, end = Math.Min(Length, offset + length + FolioBytes);
        if (end > start) Madvise(Start + start, (nuint)(end - start), DontNeed); // advisory: a failure only keeps the pages
    }

    const int DontNeed = 4; // MADV_DONTNEED
    const long FolioBytes = 2 << 20; // a PMD: the largest folio Linux maps for a file

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(byte* address, nuint length, int advice);

    /// <summary>Unmaps the file; later reads throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }
}
