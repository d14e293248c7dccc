namespace Sieve.Tensors;

/// <summary>
/// Machine code generated at run time, in an anonymous mapping of its own that is never writable and executable at
/// once (W^X): it is mapped read+write, the code copied in, and then switched to read+execute before anything can
/// call it. Linux x64 only (<c>mmap</c>/<c>mprotect</c>); the mapping is released on <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class ExecutableMemory : IDisposable
{
    nint _address;

    /// <summary>Start of the code.</summary>
    public nint Address => _address != 0 ? _address : throw new ObjectDisposedException(nameof(ExecutableMemory));

    /// <summary>Bytes mapped (the code's length rounded up to whole pages).</summary>
    public nuint Length { get; }

    ExecutableMemory(nint address, nuint length) => (_address, Length) = (address, length);

    /// <summary>True where <see cref="Map(ReadOnlySpan{byte})"/> can work at all: Linux on x64.</summary>
    public static bool IsAvailable => AnonymousPages.IsAvailable;

    /// <summary>Maps <paramref name="code"/> read+execute.</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux x64.</exception>
    /// <exception cref="IOException">The OS refused the mapping or the switch to execute (the message says which and why).</exception>
    public static ExecutableMemory Map(ReadOnlySpan<byte> code) => Map(code, AnonymousPages.Protect);

    /// <summary>
    /// <see cref="Map(ReadOnlySpan{byte})"/> with the read+execute switch done by <paramref name="protect"/>
    /// (address, length, protection → 0 or an errno), so a refusal can be staged.
    /// </summary>
    internal static ExecutableMemory Map(ReadOnlySpan<byte> code, Func<nint, nuint, int, int> protect)
    {
        if (!IsAvailable) throw new PlatformNotSupportedException("run-time generated code needs Linux on x64");
        if (code.IsEmpty) throw new ArgumentException("no code to map", nameof(code));
        nuint length = AnonymousPages.Round((nuint)code.Length);
        nint address = AnonymousPages.Map(length);
        code.CopyTo(new Span<byte>((void*)address, code.Length));
        int error = protect(address, length, AnonymousPages.Read | AnonymousPages.Execute);
        if (error != 0)
        {
            AnonymousPages.Unmap(address, length);
            throw new IOException($"mprotect(PROT_READ | PROT_EXEC) on generated code failed (errno {error})");
        }
        return new ExecutableMemory(address, length);
    }

    public void Dispose()
    {
        if (_address == 0) return;
        AnonymousPages.Unmap(_address, Length);
        _address = 0;
    }
}
