using Sieve.Weights;

namespace Sieve.Tests.Weights;

/// <summary>
/// A load drops each tensor's mapped pages once it is copied out (<see cref="MappedFile.Evict"/>), so the checkpoint is
/// not counted twice in the process's memory. Checked in the page table itself (<c>/proc/self/pagemap</c>, Linux).
/// </summary>
public sealed unsafe partial class MappedFileEvictionTests
{
    const int DontNeed = 4; // POSIX_FADV_DONTNEED

    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial int posix_fadvise(nint fd, long offset, long length, int advice);

    [Fact]
    public void WeightsAndTheirScalesReadInFileOrderLeaveNoPagesMapped()
    {
        if (!OperatingSystem.IsLinux()) return;
        const int tensors = 24, tensorBytes = (3 << 20) / 2 + 4096 * 3 + 40; // ragged sizes: boundaries fall inside pages and folios
        string path = Path.GetTempFileName();
        try
        {
            var bytes = new byte[tensors * tensorBytes];
            new Random(7).NextBytes(bytes);
            using (var written = new FileStream(path, FileMode.Create))
            {
                written.Write(bytes);
                written.Flush(flushToDisk: true);
                // Out of the page cache, so the mapping reads it back as a load does: in large folios (readahead).
                Assert.Equal(0, posix_fadvise(written.SafeFileHandle.DangerousGetHandle(), 0, 0, DontNeed));
            }
            using var file = MappedFile.Open(path, bytes.Length);
            long sum = 0;
            var copy = new byte[tensorBytes];
            // As an int8 load reads a checkpoint: each weight copied out, then its small scale tensor right after it in the file.
            for (int t = 0; t < tensors; t++)
            {
                long at = (long)t * tensorBytes;
                int scale = 4096 + 40;
                file.Span(at, tensorBytes - scale).CopyTo(copy);
                file.Evict(at, tensorBytes - scale);
                file.Span(at + tensorBytes - scale, scale).CopyTo(copy.AsSpan(tensorBytes - scale));
                file.Evict(at + tensorBytes - scale, scale);
                foreach (byte b in copy) sum += b;
            }
            Assert.Equal(bytes.Sum(b => (long)b), sum);
            long mapped = MappedPages(file.Start, file.Length) * Environment.SystemPageSize;
            // Measured with only each tensor's own pages evicted: 7.8% here, 29% of a 148 MB int8 CLIP checkpoint; now none.
            Assert.True(mapped <= file.Length / 100, $"{mapped} of {file.Length} bytes still mapped after every tensor was read and evicted");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Pages of [<paramref name="start"/>, +<paramref name="length"/>) present in this process's page table (bit 63 of each pagemap entry).</summary>
    static long MappedPages(byte* start, long length)
    {
        long page = Environment.SystemPageSize, first = (long)start / page, count = (length + page - 1) / page;
        using var pagemap = new FileStream("/proc/self/pagemap", FileMode.Open, FileAccess.Read);
        pagemap.Seek(first * 8, SeekOrigin.Begin);
        var entries = new byte[count * 8];
        pagemap.ReadExactly(entries);
        long present = 0;
        for (long i = 0; i < count; i++) present += (long)(BitConverter.ToUInt64(entries, (int)(i * 8)) >> 63);
        return present;
    }
}
