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
}

/// <summary>Which <see cref="Int8GemmPath"/>s this machine can run.</summary>
internal static class Int8GemmPaths
{
    /// <summary>The fastest path the hardware runs.</summary>
    public static Int8GemmPath Best { get; } =
        AvxVnni.IsSupported ? Int8GemmPath.AvxVnni : Avx2.IsSupported ? Int8GemmPath.Avx2 : Int8GemmPath.Scalar;

    /// <summary>True when <paramref name="path"/> runs here.</summary>
    public static bool IsSupported(Int8GemmPath path) => path switch
    {
        Int8GemmPath.AvxVnni => AvxVnni.IsSupported,
        Int8GemmPath.Avx2 => Avx2.IsSupported,
        _ => true,
    };
}
