using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sieve.Bench;

/// <summary>
/// The float32 FMA peak of this machine: a loop of 24 independent register-only <c>vfmadd</c> chains per iteration
/// (512-bit where the machine has it, else 256-bit), no loads, enough chains to hide the latency of both FMA pipes, so
/// its rate is what the execution units give. Timed on every thread at once, it is the peak a parallel GEMM is measured
/// against: on this 2-core VM both cores together gave 1.8–1.9× one core's rate, not 2×.
/// </summary>
static class FmaPeak
{
    /// <summary>Floating-point operations (2 per multiply-add) one call of <see cref="Run"/> performs.</summary>
    public static double Operations(long iterations) => 2.0 * 24 * iterations * (Vector512.IsHardwareAccelerated ? 16 : 8);

    /// <summary>Runs <paramref name="iterations"/> iterations of the loop.</summary>
    public static void Run(long iterations)
    {
        if (Vector512.IsHardwareAccelerated) Sink += Loop512(iterations);
        else Sink += Loop256(iterations);
    }

    static float Sink;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static float Loop512(long iterations)
    {
        var x = Vector512.Create(1f); var y = Vector512.Create(0.999f);
        Vector512<float> c0 = x, c1 = x, c2 = x, c3 = x, c4 = x, c5 = x, c6 = x, c7 = x, c8 = x, c9 = x, c10 = x, c11 = x;
        Vector512<float> d0 = x, d1 = x, d2 = x, d3 = x, d4 = x, d5 = x, d6 = x, d7 = x, d8 = x, d9 = x, d10 = x, d11 = x;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, y, x); c1 = Vector512.FusedMultiplyAdd(c1, y, x); c2 = Vector512.FusedMultiplyAdd(c2, y, x);
            c3 = Vector512.FusedMultiplyAdd(c3, y, x); c4 = Vector512.FusedMultiplyAdd(c4, y, x); c5 = Vector512.FusedMultiplyAdd(c5, y, x);
            c6 = Vector512.FusedMultiplyAdd(c6, y, x); c7 = Vector512.FusedMultiplyAdd(c7, y, x); c8 = Vector512.FusedMultiplyAdd(c8, y, x);
            c9 = Vector512.FusedMultiplyAdd(c9, y, x); c10 = Vector512.FusedMultiplyAdd(c10, y, x); c11 = Vector512.FusedMultiplyAdd(c11, y, x);
            d0 = Vector512.FusedMultiplyAdd(d0, y, x); d1 = Vector512.FusedMultiplyAdd(d1, y, x); d2 = Vector512.FusedMultiplyAdd(d2, y, x);
            d3 = Vector512.FusedMultiplyAdd(d3, y, x); d4 = Vector512.FusedMultiplyAdd(d4, y, x); d5 = Vector512.FusedMultiplyAdd(d5, y, x);
            d6 = Vector512.FusedMultiplyAdd(d6, y, x); d7 = Vector512.FusedMultiplyAdd(d7, y, x); d8 = Vector512.FusedMultiplyAdd(d8, y, x);
            d9 = Vector512.FusedMultiplyAdd(d9, y, x); d10 = Vector512.FusedMultiplyAdd(d10, y, x); d11 = Vector512.FusedMultiplyAdd(d11, y, x);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9 + d10 + d11).ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static float Loop256(long iterations)
    {
        // AVX2 has 16 ymm registers: 12 chains, 2 constants, and the rest to spare.
        var x = Vector256.Create(1f); var y = Vector256.Create(0.999f);
        Vector256<float> c0 = x, c1 = x, c2 = x, c3 = x, c4 = x, c5 = x, c6 = x, c7 = x, c8 = x, c9 = x, c10 = x, c11 = x;
        for (long i = 0; i < 2 * iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, y, x); c1 = Vector256.FusedMultiplyAdd(c1, y, x); c2 = Vector256.FusedMultiplyAdd(c2, y, x);
            c3 = Vector256.FusedMultiplyAdd(c3, y, x); c4 = Vector256.FusedMultiplyAdd(c4, y, x); c5 = Vector256.FusedMultiplyAdd(c5, y, x);
            c6 = Vector256.FusedMultiplyAdd(c6, y, x); c7 = Vector256.FusedMultiplyAdd(c7, y, x); c8 = Vector256.FusedMultiplyAdd(c8, y, x);
            c9 = Vector256.FusedMultiplyAdd(c9, y, x); c10 = Vector256.FusedMultiplyAdd(c10, y, x); c11 = Vector256.FusedMultiplyAdd(c11, y, x);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
    }
}
