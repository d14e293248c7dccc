using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sieve.Tensors;

/// <summary>
/// Integer micro-kernels: D[6 × 16] = Σ_k A[r, k]·P[k, j] in int32, for six rows of unsigned 8-bit A (row
/// stride lda bytes, K padded to whole groups of four) and one panel P of an <see cref="Int8Matrix"/> (several
/// panels at once for the generated <see cref="Int8Vnni512Kernel"/>).
/// </summary>
/// <remarks>
/// Every path gives the same int32 sums: the products are exact and no partial sum can overflow (|a·b| ≤
/// 255·127, so K up to 66 000). The row block is fixed at six (<see cref="Int8Gemm"/> pads A with zero rows)
/// so each path has one kernel. AvxVnni: per group of four k, two 32-byte weight loads, six 4-byte broadcasts
/// and 12 <c>vpdpbusd</c> into 12 ymm accumulators (15 of AVX's 16 registers). Avx2: bytes widened to 16 bits
/// and summed in pairs by <c>vpmaddwd</c>, each column's two half sums added at the end; 8 columns at a time.
/// </remarks>
internal static unsafe class Int8GemmKernels
{
    /// <summary>Rows of A per kernel call.</summary>
    public const int Rows = 6;

    const int W = Int8Matrix.PanelWidth, Line = Int8Matrix.PanelWidth * Int8Matrix.Depth;

    /// <summary>Panels one call of <paramref name="path"/>'s kernel covers at most; its tile has 16 ints per panel in a row.</summary>
    public static int PanelsPerCall(Int8GemmPath path) => path == Int8GemmPath.Avx512Vnni ? Int8Vnni512Kernel.MaxPanels : 1;

    /// <summary>
    /// D[6 × 16·<paramref name="panels"/>] for the <paramref name="panels"/> (≤ <see cref="PanelsPerCall"/>) panels from
    /// <paramref name="panel"/> on, <paramref name="panelBytes"/> apart.
    /// </summary>
    public static void Run(Int8GemmPath path, byte* a, int lda, sbyte* panel, int panels, long panelBytes, int quads, int* d)
    {
        switch (path)
        {
            case Int8GemmPath.Avx512Vnni: Int8GemmPaths.Vnni512!.Run(a, lda, panel, panels, panelBytes, quads, d); break;
            case Int8GemmPath.AvxVnni: Vnni(a, lda, panel, quads, d); break;
            case Int8GemmPath.Avx2:
                Pairs(a, lda, panel, quads, d);
                Pairs(a, lda, panel + 32, quads, d + 8);
                break;
            default: Scalar(a, lda, panel, quads, d); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Vnni(byte* a, int lda, sbyte* b, int quads, int* d)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        byte* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int q = 0, o = 0; q < quads; q++, o += 4, b += Line)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 32);
            Dot(Broadcast(a0 + o), b0, b1, ref c00, ref c01);
            Dot(Broadcast(a1 + o), b0, b1, ref c10, ref c11);
            Dot(Broadcast(a2 + o), b0, b1, ref c20, ref c21);
            Dot(Broadcast(a3 + o), b0, b1, ref c30, ref c31);
            Dot(Broadcast(a4 + o), b0, b1, ref c40, ref c41);
            Dot(Broadcast(a5 + o), b0, b1, ref c50, ref c51);
        }
        c00.Store(d); c01.Store(d + 8);
        c10.Store(d + W); c11.Store(d + W + 8);
        c20.Store(d + 2 * W); c21.Store(d + 2 * W + 8);
        c30.Store(d + 3 * W); c31.Store(d + 3 * W + 8);
        c40.Store(d + 4 * W); c41.Store(d + 4 * W + 8);
        c50.Store(d + 5 * W); c51.Store(d + 5 * W + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<byte> Broadcast(byte* a) => Vector256.Create(Unsafe.ReadUnaligned<int>(a)).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Dot(Vector256<byte> x, Vector256<sbyte> b0, Vector256<sbyte> b1, ref Vector256<int> c0, ref Vector256<int> c1)
    {
        c0 = AvxVnni.MultiplyWideningAndAdd(c0, x, b0);
        c1 = AvxVnni.MultiplyWideningAndAdd(c1, x, b1);
    }

    /// <summary>Six rows × 8 columns whose weights start at <paramref name="b"/> (lines still 64 bytes apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Pairs(byte* a, int lda, sbyte* b, int quads, int* d)
    {
        // lo holds columns 0–3 and hi columns 4–7, each column as two adjacent lanes (k0·a0 + k1·a1, k2·a2 + k3·a3).
        Vector256<int> lo0 = default, hi0 = default, lo1 = default, hi1 = default, lo2 = default, hi2 = default;
        Vector256<int> lo3 = default, hi3 = default, lo4 = default, hi4 = default, lo5 = default, hi5 = default;
        byte* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int q = 0, o = 0; q < quads; q++, o += 4, b += Line)
        {
            var lo = Avx2.ConvertToVector256Int16(Vector128.Load(b));
            var hi = Avx2.ConvertToVector256Int16(Vector128.Load(b + 16));
            MultiplyPairs(Widen(a0 + o), lo, hi, ref lo0, ref hi0);
            MultiplyPairs(Widen(a1 + o), lo, hi, ref lo1, ref hi1);
            MultiplyPairs(Widen(a2 + o), lo, hi, ref lo2, ref hi2);
            MultiplyPairs(Widen(a3 + o), lo, hi, ref lo3, ref hi3);
            MultiplyPairs(Widen(a4 + o), lo, hi, ref lo4, ref hi4);
            MultiplyPairs(Widen(a5 + o), lo, hi, ref lo5, ref hi5);
        }
        Finish(d, lo0, hi0);
        Finish(d + W, lo1, hi1);
        Finish(d + 2 * W, lo2, hi2);
        Finish(d + 3 * W, lo3, hi3);
        Finish(d + 4 * W, lo4, hi4);
        Finish(d + 5 * W, lo5, hi5);
    }

    /// <summary>Four unsigned bytes as four 16-bit values, repeated over the vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<short> Widen(byte* a) =>
        Vector256.Create(Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(a)).AsByte()).AsUInt64().ToScalar()).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void MultiplyPairs(Vector256<short> x, Vector256<short> lo, Vector256<short> hi, ref Vector256<int> cLo, ref Vector256<int> cHi)
    {
        cLo += Avx2.MultiplyAddAdjacent(lo, x);
        cHi += Avx2.MultiplyAddAdjacent(hi, x);
    }

    // hadd gives columns [0 1 4 5 | 2 3 6 7] (it works within 128-bit halves); swapping the middle quadwords orders them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Finish(int* d, Vector256<int> lo, Vector256<int> hi) =>
        Avx2.Permute4x64(Avx2.HorizontalAdd(lo, hi).AsInt64(), 0b11_01_10_00).AsInt32().Store(d);

    static void Scalar(byte* a, int lda, sbyte* b, int quads, int* d)
    {
        for (int r = 0; r < Rows; r++)
        {
            byte* row = a + (long)r * lda;
            for (int j = 0; j < W; j++)
            {
                int sum = 0;
                for (int q = 0; q < quads; q++)
                    for (int t = 0; t < Int8Matrix.Depth; t++)
                        sum += row[q * Int8Matrix.Depth + t] * b[q * Line + j * Int8Matrix.Depth + t];
                d[r * W + j] = sum;
            }
        }
    }
}
