using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sieve.Tensors;

/// <summary>
/// Activations quantized per row (per token) for <see cref="Int8Gemm"/>: x ≈ scale·(q − zeroPoint) with q
/// unsigned 8-bit, the row's range [min(x, 0), max(x, 0)] spread over 0…255 so that 0 is exact (zero padding
/// and the zero-point correction stay exact). Rows are <see cref="Stride"/> bytes, zero past K. The buffers
/// are rented from <see cref="ActivationMemory"/> like every other per-inference temporary.
/// </summary>
internal sealed class QuantizedRows : IDisposable
{
    readonly Scratch _bytes, _scales, _zeroPoints;

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Row stride in bytes (K rounded up to whole <see cref="Int8Matrix.Depth"/> groups).</summary>
    public int Stride { get; }

    /// <summary>The quantized values, <see cref="Rows"/> × <see cref="Stride"/>.</summary>
    public Span<byte> Values => MemoryMarshal.AsBytes(_bytes.Span)[..(Rows * Stride)];

    /// <summary>Per-row scales.</summary>
    public Span<float> Scales => _scales.Span;

    /// <summary>Per-row zero points, in 0…255.</summary>
    public Span<int> ZeroPoints => MemoryMarshal.Cast<float, int>(_zeroPoints.Span);

    /// <summary>Empty rows to fill with <see cref="Quantize(ReadOnlySpan{float}, int, int, int, bool)"/>.</summary>
    public QuantizedRows(int rows, int k)
    {
        Rows = rows;
        Stride = (k + Int8Matrix.Depth - 1) / Int8Matrix.Depth * Int8Matrix.Depth;
        // Zero rows up to a whole kernel row block: the kernels always read six rows.
        int padded = (rows + Int8GemmKernels.Rows - 1) / Int8GemmKernels.Rows * Int8GemmKernels.Rows;
        _bytes = new Scratch((padded * Stride + 3) / 4);
        MemoryMarshal.AsBytes(_bytes.Span)[(rows * Stride)..].Clear();
        _scales = new Scratch(rows);
        _zeroPoints = new Scratch(rows);
    }

    /// <summary>Quantizes <paramref name="rows"/> rows of <paramref name="k"/> floats of <paramref name="a"/> (row stride <paramref name="lda"/>).</summary>
    /// <remarks>Splits the rows across threads when <paramref name="parallel"/>.</remarks>
    public static QuantizedRows Quantize(ReadOnlySpan<float> a, int lda, int rows, int k, bool parallel)
    {
        var q = new QuantizedRows(rows, k);
        unsafe
        {
            fixed (float* pa = a)
            {
                nint source = (nint)pa;
                // Blocks of 16 rows: a row is a few hundred nanoseconds, too little to hand to another thread alone.
                const int Block = 16;
                int blocks = (rows + Block - 1) / Block;
                Action<int> body = b =>
                {
                    for (int r = b * Block, end = Math.Min(rows, r + Block); r < end; r++)
                        q.QuantizeRow(new ReadOnlySpan<float>((float*)source + (long)r * lda, k), r);
                };
                if (parallel) Threading.For(blocks, body);
                else for (int b = 0; b < blocks; b++) body(b);
            }
        }
        return q;
    }

    /// <summary>Quantizes <paramref name="x"/> into row <paramref name="row"/>.</summary>
    /// <remarks>
    /// scale = (max − min)/255, zeroPoint = round(−min/scale), q = clamp(round(x·(1/scale)) + zeroPoint, 0, 255),
    /// rounding to nearest even, the vector body and the scalar tail alike. An all-zero row gets scale 0, zero point 0 and q = 0. A NaN makes the row's
    /// scale NaN, so the row's outputs are NaN rather than plausible numbers.
    /// </remarks>
    internal void QuantizeRow(ReadOnlySpan<float> x, int row)
    {
        var q = Values.Slice(row * Stride, Stride);
        var (min, max) = Range(x);
        float scale = (max - min) / 255f;
        int zeroPoint = scale > 0 ? (int)Math.Clamp(MathF.Round(-min / scale), 0f, 255f) : 0;
        Scales[row] = scale;
        ZeroPoints[row] = zeroPoint;
        float inverse = scale > 0 ? 1f / scale : 0f;
        int i = 0;
        if (Avx512F.IsSupported)
        {
            // vmulps, vcvtps2dq (rounding to nearest even, the default mode), vpaddd, vpmaxsd/vpminsd, vpmovdb: the
            // scalar formula's values, since round(x/scale) + zeroPoint is a small integer (|·| ≤ 510), exact in float too, and
            // NaN's integer (int.MinValue) clamps to 0 as the scalar NaN converts to 0. The Vector256 body below, with
            // IEEE Clamp and a saturating unsigned conversion, took 0.34 ns a value: 15% of a 197×3072×768 int8 GEMM.
            var inverse16 = Vector512.Create(inverse);
            var zero16 = Vector512.Create(zeroPoint);
            for (; i + 16 <= x.Length; i += 16)
            {
                var v = Avx512F.ConvertToVector512Int32(Vector512.Create(x.Slice(i)) * inverse16) + zero16;
                Avx512F.ConvertToVector128Byte(Vector512.Min(Vector512.Max(v, Vector512<int>.Zero), Vector512.Create(255))).CopyTo(q.Slice(i));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var inverse8 = Vector256.Create(inverse);
            var zero8 = Vector256.Create((float)zeroPoint);
            for (; i + 32 <= x.Length; i += 32)
            {
                var low = Vector256.Narrow(Quantize8(x.Slice(i)), Quantize8(x.Slice(i + 8)));
                var high = Vector256.Narrow(Quantize8(x.Slice(i + 16)), Quantize8(x.Slice(i + 24)));
                Vector256.Narrow(low, high).CopyTo(q.Slice(i));
            }

            Vector256<uint> Quantize8(ReadOnlySpan<float> v) => Vector256.ConvertToUInt32(
                Vector256.Clamp(Vector256.Round(Vector256.Create(v) * inverse8) + zero8, Vector256<float>.Zero, Vector256.Create(255f)));
        }
        for (; i < x.Length; i++) q[i] = (byte)Math.Clamp(MathF.Round(x[i] * inverse) + zeroPoint, 0f, 255f);
        q[x.Length..].Clear();
    }

    /// <summary>[min(x, 0), max(x, 0)] of the row; NaN for both when it holds a NaN.</summary>
    static (float Min, float Max) Range(ReadOnlySpan<float> x)
    {
        if (!Vector512.IsHardwareAccelerated) return (Math.Min(0f, TensorPrimitives.Min(x)), Math.Max(0f, TensorPrimitives.Max(x)));
        // One pass for both (TensorPrimitives makes one each); vminps/vmaxps drop NaNs, so a NaN is tracked apart.
        Vector512<float> low = Vector512<float>.Zero, high = low;
        var ordered = Vector512<int>.AllBitsSet;
        int i = 0;
        for (; i + 16 <= x.Length; i += 16)
        {
            var v = Vector512.Create(x.Slice(i));
            low = Vector512.MinNative(low, v);
            high = Vector512.MaxNative(high, v);
            ordered &= Vector512.Equals(v, v).AsInt32();
        }
        // Folded by halves: reading the 16 lanes one by one cost ~100 ns a row, as much as the two passes over 768 values.
        var low256 = Vector256.MinNative(low.GetLower(), low.GetUpper());
        var high256 = Vector256.MaxNative(high.GetLower(), high.GetUpper());
        var low4 = Vector128.MinNative(low256.GetLower(), low256.GetUpper());
        var high4 = Vector128.MaxNative(high256.GetLower(), high256.GetUpper());
        float min = Math.Min(Math.Min(low4[0], low4[1]), Math.Min(low4[2], low4[3]));
        float max = Math.Max(Math.Max(high4[0], high4[1]), Math.Max(high4[2], high4[3]));
        for (; i < x.Length; i++) (min, max) = (Math.Min(min, x[i]), Math.Max(max, x[i]));
        return ordered == Vector512<int>.AllBitsSet ? (min, max) : (float.NaN, float.NaN);
    }

    public void Dispose()
    {
        _bytes.Dispose();
        _scales.Dispose();
        _zeroPoints.Dispose();
    }
}
