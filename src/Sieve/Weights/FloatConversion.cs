using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sieve.Weights;

/// <summary>
/// Converts little-endian tensor bytes to float32 and back. Spans may be unaligned (a safetensors header
/// need not be padded), which is fine for the unaligned loads used here.
/// </summary>
internal static class FloatConversion
{
    /// <summary>Converts <paramref name="source"/>, holding <paramref name="destination"/>.Length elements of <paramref name="dtype"/>.</summary>
    public static void ToSingle(DType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case DType.F32: MemoryMarshal.Cast<byte, float>(source).CopyTo(destination); break;
            case DType.F16: TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination); break;
            case DType.BF16: BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(source), destination); break;
            case DType.F64: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, double>(source), destination); break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not readable as float32");
        }
    }

    /// <summary>Converts <paramref name="source"/> to <paramref name="dtype"/>, rounding to nearest even.</summary>
    public static void FromSingle(DType dtype, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (dtype)
        {
            case DType.F32: MemoryMarshal.AsBytes(source).CopyTo(destination); break;
            case DType.F16: TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<byte, Half>(destination)); break;
            case DType.BF16: SingleToBFloat16(source, MemoryMarshal.Cast<byte, ushort>(destination)); break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not writable from float32");
        }
    }

    /// <summary>A bfloat16 is the high half of a float32, so widening is a zero-extend and a shift.</summary>
    static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        var bits = MemoryMarshal.Cast<float, uint>(destination);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.Create(source.Slice(i)));
                Vector256.ShiftLeft(lower, 16).CopyTo(bits.Slice(i));
                Vector256.ShiftLeft(upper, 16).CopyTo(bits.Slice(i + Vector256<uint>.Count));
            }
        }
        for (; i < source.Length; i++) bits[i] = (uint)source[i] << 16;
    }

    /// <summary>
    /// Rounds to nearest, ties to even, as PyTorch does: adding 0x7FFF plus the lowest kept bit carries into
    /// the kept half exactly when the dropped half is above the midpoint, or at it with an odd kept half.
    /// NaN stays a (quiet) NaN rather than rounding into infinity.
    /// </summary>
    static void SingleToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(source[i]);
            destination[i] = float.IsNaN(source[i])
                ? (ushort)0x7FC0
                : (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1)) >> 16);
        }
    }
}
