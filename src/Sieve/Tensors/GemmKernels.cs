using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sieve.Tensors;

/// <summary>
/// Micro-kernels: D[rows × 64] = A[rows × K] · P where P is one packed panel (K × 64, row-major).
/// The 6-row kernels keep the whole 6 × 64 tile in registers (24 zmm or 6 × 2 ymm per 16 columns)
/// and issue one broadcast and 4 FMAs per row per k; leftover rows take a one-row kernel.
/// </summary>
internal static unsafe class GemmKernels
{
    const int W = PackedMatrix.PanelWidth;

    public static void Run(GemmPath path, float* a, int lda, int rows, float* panel, int k, float* d, int ldd)
    {
        int r = 0;
        switch (path)
        {
            case GemmPath.Vector512:
                for (; r + 6 <= rows; r += 6) Rows6x512(a + (long)r * lda, lda, panel, k, d + (long)r * ldd, ldd);
                for (; r < rows; r++) Row1x512(a + (long)r * lda, panel, k, d + (long)r * ldd);
                break;
            case GemmPath.Vector256:
                for (; r + 6 <= rows; r += 6)
                    for (int j = 0; j < W; j += 16)
                        Rows6x256(a + (long)r * lda, lda, panel + j, k, d + (long)r * ldd + j, ldd);
                for (; r < rows; r++) Row1x256(a + (long)r * lda, panel, k, d + (long)r * ldd);
                break;
            default:
                for (; r < rows; r++) Row1Scalar(a + (long)r * lda, panel, k, d + (long)r * ldd);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Rows6x512(float* a, int lda, float* b, int k, float* d, int ldd)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int p = 0; p < k; p++, b += W)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var b2 = Vector512.Load(b + 32);
            var b3 = Vector512.Load(b + 48);
            var x = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(a1[p]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(a2[p]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(a3[p]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
            x = Vector512.Create(a4[p]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            c42 = Vector512.FusedMultiplyAdd(x, b2, c42); c43 = Vector512.FusedMultiplyAdd(x, b3, c43);
            x = Vector512.Create(a5[p]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            c52 = Vector512.FusedMultiplyAdd(x, b2, c52); c53 = Vector512.FusedMultiplyAdd(x, b3, c53);
        }
        Store4(d, c00, c01, c02, c03); d += ldd;
        Store4(d, c10, c11, c12, c13); d += ldd;
        Store4(d, c20, c21, c22, c23); d += ldd;
        Store4(d, c30, c31, c32, c33); d += ldd;
        Store4(d, c40, c41, c42, c43); d += ldd;
        Store4(d, c50, c51, c52, c53);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store4(float* d, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        v0.Store(d); v1.Store(d + 16); v2.Store(d + 32); v3.Store(d + 48);
    }

    static void Row1x512(float* a, float* b, int k, float* d)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int p = 0; p < k; p++, b += W)
        {
            var x = Vector512.Create(a[p]);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 16), c1);
            c2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 32), c2);
            c3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 48), c3);
        }
        Store4(d, c0, c1, c2, c3);
    }

    /// <summary>6 rows × 16 columns of a panel (column offset already applied to b and d).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Rows6x256(float* a, int lda, float* b, int k, float* d, int ldd)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int p = 0; p < k; p++, b += W)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[p]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[p]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[p]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[p]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[p]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        c00.Store(d); c01.Store(d + 8); d += ldd;
        c10.Store(d); c11.Store(d + 8); d += ldd;
        c20.Store(d); c21.Store(d + 8); d += ldd;
        c30.Store(d); c31.Store(d + 8); d += ldd;
        c40.Store(d); c41.Store(d + 8); d += ldd;
        c50.Store(d); c51.Store(d + 8);
    }

    static void Row1x256(float* a, float* b, int k, float* d)
    {
        for (int j = 0; j < W; j += 16)
        {
            Vector256<float> c0 = default, c1 = default;
            float* bj = b + j;
            for (int p = 0; p < k; p++, bj += W)
            {
                var x = Vector256.Create(a[p]);
                c0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bj), c0);
                c1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bj + 8), c1);
            }
            c0.Store(d + j); c1.Store(d + j + 8);
        }
    }

    static void Row1Scalar(float* a, float* b, int k, float* d)
    {
        new Span<float>(d, W).Clear();
        for (int p = 0; p < k; p++, b += W)
        {
            float x = a[p];
            for (int j = 0; j < W; j++) d[j] = MathF.FusedMultiplyAdd(x, b[j], d[j]);
        }
    }
}
