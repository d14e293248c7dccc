using System.Runtime.InteropServices;

namespace Sieve.Tensors;

/// <summary>
/// Whole pages mapped from the OS and unmapped back to it (<c>mmap</c>/<c>munmap</c>, Linux x64): memory that leaves the
/// process the moment it is released, which neither the GC nor glibc's <c>malloc</c> promises (malloc keeps a freed block
/// of up to 32 MB for reuse once it has freed one that large).
/// </summary>
internal static partial class AnonymousPages
{
    public const int Read = 1, Write = 2, Execute = 4;
    const int MapPrivate = 2, MapAnonymous = 0x20;

    /// <summary>True where pages can be mapped here: Linux on x64.</summary>
    public static bool IsAvailable => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary><paramref name="length"/> rounded up to whole pages.</summary>
    public static nuint Round(nuint length)
    {
        nuint page = (nuint)Environment.SystemPageSize;
        return (length + page - 1) / page * page;
    }

    /// <summary>Maps <paramref name="length"/> bytes (whole pages) read+write, zero-filled.</summary>
    /// <exception cref="IOException">The OS refused.</exception>
    public static nint Map(nuint length)
    {
        nint address = mmap(0, length, Read | Write, MapPrivate | MapAnonymous, -1, 0);
        return address != -1 ? address : throw new IOException($"mmap of {length} bytes failed (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Changes the protection of mapped pages: 0, or the errno of the refusal.</summary>
    public static int Protect(nint address, nuint length, int protection) =>
        mprotect(address, length, protection) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Gives mapped pages back to the OS.</summary>
    public static void Unmap(nint address, nuint length) => munmap(address, length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);
}
