using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sieve.Tensors;

/// <summary>
/// Micro-kernels: D[rows × width] = A[rows × k] · P (or D += … when accumulating a later K block), where P
/// is k rows of one packed panel (row stride 64) and rows ≤ <see cref="Gemm.RowBlock"/>.
/// </summary>
/// <remarks>
/// One generic tile per instruction set, specialised by the JIT for every (rows, vectors) pair: the 6 × 64
/// Vector512 tile keeps 24 zmm accumulators and issues one broadcast and 4 FMAs per row per k; the
/// Vector256 tile is 6 × 16 (12 ymm, what AVX2's 16 registers allow) and walks the panel in 16-column strips.
/// Smaller instances serve ragged row blocks and the narrow last panel, so no FMA is spent on more than 15
/// padding columns. Every element is one FMA chain over k in order, whatever the kernel, so results do not
/// depend on how rows and columns are split, nor on K blocking (an accumulator stored and reloaded is exact).
/// </remarks>
internal static unsafe class GemmKernels
{
    const int W = PackedMatrix.PanelWidth;

    public static void Run(GemmPath path, float* a, int lda, int rows, float* panel, int k, float* d, int ldd, int width, bool accumulate)
    {
        switch (path)
        {
            case GemmPath.Vector512:
                Dispatch512(rows, (width + 15) / 16, a, lda, panel, k, d, ldd, accumulate);
                break;
            case GemmPath.Vector256:
                for (int j = 0; j < width; j += 16)
                    Dispatch256(rows, width - j > 8 ? 2 : 1, a, lda, panel + j, k, d + j, ldd, accumulate);
                break;
            default:
                for (int r = 0; r < rows; r++) RowScalar(a + (long)r * lda, panel, k, d + (long)r * ldd, width, accumulate);
                break;
        }
    }

    static void Dispatch512(int rows, int vectors, float* a, int lda, float* b, int k, float* d, int ldd, bool acc)
    {
        switch (vectors)
        {
            case 4: Dispatch512<C4>(rows, a, lda, b, k, d, ldd, acc); break;
            case 3: Dispatch512<C3>(rows, a, lda, b, k, d, ldd, acc); break;
            case 2: Dispatch512<C2>(rows, a, lda, b, k, d, ldd, acc); break;
            default: Dispatch512<C1>(rows, a, lda, b, k, d, ldd, acc); break;
        }
    }

    static void Dispatch512<TV>(int rows, float* a, int lda, float* b, int k, float* d, int ldd, bool acc) where TV : ICount
    {
        switch (rows)
        {
            case 6: Tile512<C6, TV>(a, lda, b, k, d, ldd, acc); break;
            case 5: Tile512<C5, TV>(a, lda, b, k, d, ldd, acc); break;
            case 4: Tile512<C4, TV>(a, lda, b, k, d, ldd, acc); break;
            case 3: Tile512<C3, TV>(a, lda, b, k, d, ldd, acc); break;
            case 2: Tile512<C2, TV>(a, lda, b, k, d, ldd, acc); break;
            default: Tile512<C1, TV>(a, lda, b, k, d, ldd, acc); break;
        }
    }

    static void Dispatch256(int rows, int vectors, float* a, int lda, float* b, int k, float* d, int ldd, bool acc)
    {
        if (vectors == 2) Dispatch256<C2>(rows, a, lda, b, k, d, ldd, acc);
        else Dispatch256<C1>(rows, a, lda, b, k, d, ldd, acc);
    }

    static void Dispatch256<TV>(int rows, float* a, int lda, float* b, int k, float* d, int ldd, bool acc) where TV : ICount
    {
        switch (rows)
        {
            case 6: Tile256<C6, TV>(a, lda, b, k, d, ldd, acc); break;
            case 5: Tile256<C5, TV>(a, lda, b, k, d, ldd, acc); break;
            case 4: Tile256<C4, TV>(a, lda, b, k, d, ldd, acc); break;
            case 3: Tile256<C3, TV>(a, lda, b, k, d, ldd, acc); break;
            case 2: Tile256<C2, TV>(a, lda, b, k, d, ldd, acc); break;
            default: Tile256<C1, TV>(a, lda, b, k, d, ldd, acc); break;
        }
    }

    /// <summary>TR rows × TV·16 columns; rows past TR and vectors past TV compile away.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile512<TR, TV>(float* a, int lda, float* b, int k, float* d, int ldd, bool acc) where TR : ICount where TV : ICount
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        if (acc)
        {
            Load<TV>(d, ref c00, ref c01, ref c02, ref c03);
            if (TR.Value > 1) Load<TV>(d + ldd, ref c10, ref c11, ref c12, ref c13);
            if (TR.Value > 2) Load<TV>(d + 2 * ldd, ref c20, ref c21, ref c22, ref c23);
            if (TR.Value > 3) Load<TV>(d + 3 * ldd, ref c30, ref c31, ref c32, ref c33);
            if (TR.Value > 4) Load<TV>(d + 4 * ldd, ref c40, ref c41, ref c42, ref c43);
            if (TR.Value > 5) Load<TV>(d + 5 * ldd, ref c50, ref c51, ref c52, ref c53);
        }
        for (int p = 0; p < k; p++, b += W)
        {
            var b0 = Vector512.Load(b);
            var b1 = TV.Value > 1 ? Vector512.Load(b + 16) : default;
            var b2 = TV.Value > 2 ? Vector512.Load(b + 32) : default;
            var b3 = TV.Value > 3 ? Vector512.Load(b + 48) : default;
            Fma<TV>(Vector512.Create(a0[p]), b0, b1, b2, b3, ref c00, ref c01, ref c02, ref c03);
            if (TR.Value > 1) Fma<TV>(Vector512.Create(a1[p]), b0, b1, b2, b3, ref c10, ref c11, ref c12, ref c13);
            if (TR.Value > 2) Fma<TV>(Vector512.Create(a2[p]), b0, b1, b2, b3, ref c20, ref c21, ref c22, ref c23);
            if (TR.Value > 3) Fma<TV>(Vector512.Create(a3[p]), b0, b1, b2, b3, ref c30, ref c31, ref c32, ref c33);
            if (TR.Value > 4) Fma<TV>(Vector512.Create(a4[p]), b0, b1, b2, b3, ref c40, ref c41, ref c42, ref c43);
            if (TR.Value > 5) Fma<TV>(Vector512.Create(a5[p]), b0, b1, b2, b3, ref c50, ref c51, ref c52, ref c53);
        }
        Store<TV>(d, c00, c01, c02, c03);
        if (TR.Value > 1) Store<TV>(d + ldd, c10, c11, c12, c13);
        if (TR.Value > 2) Store<TV>(d + 2 * ldd, c20, c21, c22, c23);
        if (TR.Value > 3) Store<TV>(d + 3 * ldd, c30, c31, c32, c33);
        if (TR.Value > 4) Store<TV>(d + 4 * ldd, c40, c41, c42, c43);
        if (TR.Value > 5) Store<TV>(d + 5 * ldd, c50, c51, c52, c53);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Fma<TV>(Vector512<float> x, Vector512<float> b0, Vector512<float> b1, Vector512<float> b2, Vector512<float> b3,
        ref Vector512<float> c0, ref Vector512<float> c1, ref Vector512<float> c2, ref Vector512<float> c3) where TV : ICount
    {
        c0 = Vector512.FusedMultiplyAdd(x, b0, c0);
        if (TV.Value > 1) c1 = Vector512.FusedMultiplyAdd(x, b1, c1);
        if (TV.Value > 2) c2 = Vector512.FusedMultiplyAdd(x, b2, c2);
        if (TV.Value > 3) c3 = Vector512.FusedMultiplyAdd(x, b3, c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Load<TV>(float* d, ref Vector512<float> c0, ref Vector512<float> c1, ref Vector512<float> c2, ref Vector512<float> c3) where TV : ICount
    {
        c0 = Vector512.Load(d);
        if (TV.Value > 1) c1 = Vector512.Load(d + 16);
        if (TV.Value > 2) c2 = Vector512.Load(d + 32);
        if (TV.Value > 3) c3 = Vector512.Load(d + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store<TV>(float* d, Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3) where TV : ICount
    {
        c0.Store(d);
        if (TV.Value > 1) c1.Store(d + 16);
        if (TV.Value > 2) c2.Store(d + 32);
        if (TV.Value > 3) c3.Store(d + 48);
    }

    /// <summary>TR rows × TV·8 columns (TV ≤ 2) of a 16-column strip (offset already applied to b and d).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile256<TR, TV>(float* a, int lda, float* b, int k, float* d, int ldd, bool acc) where TR : ICount where TV : ICount
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        if (acc)
        {
            Load<TV>(d, ref c00, ref c01);
            if (TR.Value > 1) Load<TV>(d + ldd, ref c10, ref c11);
            if (TR.Value > 2) Load<TV>(d + 2 * ldd, ref c20, ref c21);
            if (TR.Value > 3) Load<TV>(d + 3 * ldd, ref c30, ref c31);
            if (TR.Value > 4) Load<TV>(d + 4 * ldd, ref c40, ref c41);
            if (TR.Value > 5) Load<TV>(d + 5 * ldd, ref c50, ref c51);
        }
        for (int p = 0; p < k; p++, b += W)
        {
            var b0 = Vector256.Load(b);
            var b1 = TV.Value > 1 ? Vector256.Load(b + 8) : default;
            Fma<TV>(Vector256.Create(a0[p]), b0, b1, ref c00, ref c01);
            if (TR.Value > 1) Fma<TV>(Vector256.Create(a1[p]), b0, b1, ref c10, ref c11);
            if (TR.Value > 2) Fma<TV>(Vector256.Create(a2[p]), b0, b1, ref c20, ref c21);
            if (TR.Value > 3) Fma<TV>(Vector256.Create(a3[p]), b0, b1, ref c30, ref c31);
            if (TR.Value > 4) Fma<TV>(Vector256.Create(a4[p]), b0, b1, ref c40, ref c41);
            if (TR.Value > 5) Fma<TV>(Vector256.Create(a5[p]), b0, b1, ref c50, ref c51);
        }
        Store<TV>(d, c00, c01);
        if (TR.Value > 1) Store<TV>(d + ldd, c10, c11);
        if (TR.Value > 2) Store<TV>(d + 2 * ldd, c20, c21);
        if (TR.Value > 3) Store<TV>(d + 3 * ldd, c30, c31);
        if (TR.Value > 4) Store<TV>(d + 4 * ldd, c40, c41);
        if (TR.Value > 5) Store<TV>(d + 5 * ldd, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Fma<TV>(Vector256<float> x, Vector256<float> b0, Vector256<float> b1, ref Vector256<float> c0, ref Vector256<float> c1) where TV : ICount
    {
        c0 = Vector256.FusedMultiplyAdd(x, b0, c0);
        if (TV.Value > 1) c1 = Vector256.FusedMultiplyAdd(x, b1, c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Load<TV>(float* d, ref Vector256<float> c0, ref Vector256<float> c1) where TV : ICount
    {
        c0 = Vector256.Load(d);
        if (TV.Value > 1) c1 = Vector256.Load(d + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store<TV>(float* d, Vector256<float> c0, Vector256<float> c1) where TV : ICount
    {
        c0.Store(d);
        if (TV.Value > 1) c1.Store(d + 8);
    }

    static void RowScalar(float* a, float* b, int k, float* d, int width, bool acc)
    {
        if (!acc) new Span<float>(d, width).Clear();
        for (int p = 0; p < k; p++, b += W)
        {
            float x = a[p];
            for (int j = 0; j < width; j++) d[j] = MathF.FusedMultiplyAdd(x, b[j], d[j]);
        }
    }

    // Compile-time counts: as generic arguments they let the JIT drop unused rows and vectors from a tile.
    interface ICount { static abstract int Value { get; } }
    readonly struct C1 : ICount { public static int Value => 1; }
    readonly struct C2 : ICount { public static int Value => 2; }
    readonly struct C3 : ICount { public static int Value => 3; }
    readonly struct C4 : ICount { public static int Value => 4; }
    readonly struct C5 : ICount { public static int Value => 5; }
    readonly struct C6 : ICount { public static int Value => 6; }
}
