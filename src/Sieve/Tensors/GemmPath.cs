using System.Runtime.Intrinsics;

namespace Sieve.Tensors;

/// <summary>The instruction set a GEMM micro-kernel uses; chosen at run time from the hardware.</summary>
public enum GemmPath
{
    /// <summary>Plain scalar loops; the reference path for any machine.</summary>
    Scalar,
    /// <summary>AVX2/FMA-class 256-bit vectors.</summary>
    Vector256,
    /// <summary>AVX-512 vectors.</summary>
    Vector512,
}

/// <summary>Which <see cref="GemmPath"/>s this machine can run.</summary>
internal static class GemmPaths
{
    /// <summary>The fastest path the hardware accelerates.</summary>
    public static GemmPath Best { get; } =
        Vector512.IsHardwareAccelerated ? GemmPath.Vector512 :
        Vector256.IsHardwareAccelerated ? GemmPath.Vector256 : GemmPath.Scalar;

    /// <summary>True when <paramref name="path"/> runs accelerated here.</summary>
    public static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Vector512 => Vector512.IsHardwareAccelerated,
        GemmPath.Vector256 => Vector256.IsHardwareAccelerated,
        _ => true,
    };
}
