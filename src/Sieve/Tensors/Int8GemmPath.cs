using System.Runtime.Intrinsics.X86;

namespace Sieve.Tensors;

/// <summary>The instruction set an <see cref="Int8Gemm"/> micro-kernel uses; chosen at run time from the hardware.</summary>
public enum Int8GemmPath
{
    /// <summary>Plain integer loops; the reference path for any machine.</summary>
    Scalar,
    /// <summary>AVX2 without VNNI: bytes widened to 16 bits and multiplied in pairs (<c>vpmaddwd</c>).</summary>
    Avx2,
    /// <summary>256-bit <c>vpdpbusd</c> (AVX-VNNI): four u8×s8 products summed into each int32 lane.</summary>
    AvxVnni,
    /// <summary>
    /// 512-bit <c>vpdpbusd</c> (AVX-512 VNNI), in a micro-kernel generated at run time (Linux x64; off with
    /// <c>SIEVE_CODEGEN=0</c>).
    /// </summary>
    Avx512Vnni,
}

/// <summary>Which <see cref="Int8GemmPath"/>s this machine can run.</summary>
internal static class Int8GemmPaths
{
    /// <summary>The fastest path that does not need generated code: the portable path.</summary>
    static readonly Int8GemmPath Portable =
        AvxVnni.IsSupported ? Int8GemmPath.AvxVnni : Avx2.IsSupported ? Int8GemmPath.Avx2 : Int8GemmPath.Scalar;

    static readonly Lazy<(Int8Vnni512Kernel? Kernel, string? Notice)> Generated = new(() =>
    {
        var generated = Int8Vnni512Kernel.TryCreate(Int8Vnni512Kernel.HardwareHasIt,
            Environment.GetEnvironmentVariable(Int8Vnni512Kernel.SettingName), AnonymousPages.Protect, Portable);
        // Once per process, the first time an int8 path is chosen: why the faster kernel is not in use.
        if (generated.Notice != null) Console.Error.WriteLine(generated.Notice);
        return generated;
    });

    /// <summary>The fastest path the hardware (and the process: see <see cref="Notice"/>) runs.</summary>
    public static Int8GemmPath Best => Vnni512 != null ? Int8GemmPath.Avx512Vnni : Portable;

    /// <summary>The generated 512-bit kernel, or null where it cannot or may not be generated.</summary>
    public static Int8Vnni512Kernel? Vnni512 => Generated.Value.Kernel;

    /// <summary>Why this AVX-512 VNNI machine runs a portable kernel instead (written to stderr once), or null.</summary>
    public static string? Notice => Generated.Value.Notice;

    /// <summary>True when <paramref name="path"/> runs here.</summary>
    public static bool IsSupported(Int8GemmPath path) => path switch
    {
        Int8GemmPath.Avx512Vnni => Vnni512 != null,
        Int8GemmPath.AvxVnni => AvxVnni.IsSupported,
        Int8GemmPath.Avx2 => Avx2.IsSupported,
        _ => true,
    };
}
