using System.Diagnostics;
using System.Globalization;
using Sieve.Tensors;

namespace Sieve.Tests.Tensors;

/// <summary>
/// The run-time generated 512-bit VNNI kernel: its code is never writable and executable at once, and where it
/// cannot be had (no such processor, <c>SIEVE_CODEGEN=0</c>, the OS refusing executable memory) Sieve runs the
/// portable kernel and says so in one line.
/// </summary>
public unsafe class GeneratedKernelTests
{
    const int EAcces = 13;

    // The line /proc/self/maps gives for the mapping that holds address ("start-end perms offset dev inode [path]"), or null.
    static string? Mapping(nint address)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            var range = line[..line.IndexOf(' ')].Split('-');
            ulong start = ulong.Parse(range[0], NumberStyles.HexNumber), end = ulong.Parse(range[1], NumberStyles.HexNumber);
            if ((ulong)address >= start && (ulong)address < end) return line;
        }
        return null;
    }

    // The permissions of the mapping that holds address, e.g. "r-xp".
    static string Permissions(nint address) => Mapping(address)?.Split(' ')[1] ?? "unmapped";

    [Fact]
    public void CodeIsWrittenWhileWritableAndRunsOnlyOnceReadAndExecute()
    {
        if (!ExecutableMemory.IsAvailable) return; // mmap and /proc/self/maps: Linux only
        var (code, _) = Int8Vnni512Kernel.Generate();
        string? before = null;
        using var memory = ExecutableMemory.Map(code, (address, length, protection) =>
        {
            before = Permissions(address);
            Assert.Equal(code, new ReadOnlySpan<byte>((void*)address, code.Length).ToArray()); // written before the switch
            return AnonymousPages.Protect(address, length, protection);
        });
        Assert.Equal("rw-p", before);
        Assert.Equal("r-xp", Permissions(memory.Address));
        nint address = memory.Address;
        string mapped = Mapping(address)!;
        memory.Dispose();
        // Gone: another test's mapping made meanwhile may take the address (a file, rw-s), but not this one again.
        Assert.NotEqual(mapped, Mapping(address));
        Assert.Throws<ObjectDisposedException>(() => memory.Address);
    }

    [Fact]
    public void ARefusedMappingFallsBackToThePortableKernelWithANotice()
    {
        if (!ExecutableMemory.IsAvailable) return; // elsewhere the notice is about the OS, tested below
        var (kernel, notice) = Int8Vnni512Kernel.TryCreate(hardware: true, setting: null, (_, _, _) => EAcces, Int8GemmPath.AvxVnni);
        Assert.Null(kernel);
        Assert.Equal("note: the OS refused executable memory for the generated 512-bit VNNI kernel (mprotect(PROT_READ | PROT_EXEC) " +
            "on generated code failed (errno 13)); int8 GEMMs use the AvxVnni kernel instead", notice);
    }

    [Fact]
    public void TheSettingTurnsGenerationOffWithANotice()
    {
        var (kernel, notice) = Int8Vnni512Kernel.TryCreate(hardware: true, setting: "0", AnonymousPages.Protect, Int8GemmPath.Avx2);
        Assert.Null(kernel);
        Assert.Equal("note: SIEVE_CODEGEN=0: the generated 512-bit VNNI kernel is off; int8 GEMMs use the Avx2 kernel instead", notice);
    }

    [Fact]
    public void WithoutTheInstructionNothingIsGeneratedOrSaid()
    {
        var (kernel, notice) = Int8Vnni512Kernel.TryCreate(hardware: false, setting: null, (_, _, _) => throw new InvalidOperationException("no mapping expected"), Int8GemmPath.AvxVnni);
        Assert.Null(kernel);
        Assert.Null(notice);
    }

    [Fact]
    public void OnAnAvx512VnniMachineTheGeneratedKernelIsTheBestPath()
    {
        if (!Int8Vnni512Kernel.HardwareHasIt || !ExecutableMemory.IsAvailable || Environment.GetEnvironmentVariable(Int8Vnni512Kernel.SettingName) == "0")
        {
            Assert.NotEqual(Int8GemmPath.Avx512Vnni, Int8GemmPaths.Best);
            return;
        }
        Assert.Equal(Int8GemmPath.Avx512Vnni, Int8GemmPaths.Best);
        Assert.Null(Int8GemmPaths.Notice);
    }
}
