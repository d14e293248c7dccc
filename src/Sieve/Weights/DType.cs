namespace Sieve.Weights;

/// <summary>
/// Element types a safetensors file may declare. Sieve reads <see cref="F32"/>, <see cref="F16"/>,
/// <see cref="BF16"/> and <see cref="F64"/> as float32; the others are accepted in a file's header (checkpoints
/// carry integer buffers such as position ids) but cannot be read as floats.
/// </summary>
public enum DType
{
    /// <summary>IEEE 754 binary32.</summary>
    F32,
    /// <summary>IEEE 754 binary16 (<see cref="Half"/>).</summary>
    F16,
    /// <summary>bfloat16: the upper 16 bits of a binary32.</summary>
    BF16,
    /// <summary>IEEE 754 binary64; narrowed to float32 when read.</summary>
    F64,
    /// <summary>8-bit float, 4 exponent and 3 mantissa bits.</summary>
    F8_E4M3,
    /// <summary>8-bit float, 5 exponent and 2 mantissa bits.</summary>
    F8_E5M2,
    /// <summary>Boolean, one byte each.</summary>
    Bool,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>Unsigned 16-bit integer.</summary>
    U16,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Unsigned 32-bit integer.</summary>
    U32,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Unsigned 64-bit integer.</summary>
    U64,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
}

/// <summary>Sizes and safetensors spellings of <see cref="DType"/>.</summary>
internal static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.F64 or DType.U64 or DType.I64 => 8,
        DType.F32 or DType.U32 or DType.I32 => 4,
        DType.F16 or DType.BF16 or DType.U16 or DType.I16 => 2,
        DType.F8_E4M3 or DType.F8_E5M2 or DType.Bool or DType.U8 or DType.I8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Whether Sieve can read tensors of this type as float32.</summary>
    public static bool IsReadableAsFloat(this DType dtype) =>
        dtype is DType.F32 or DType.F16 or DType.BF16 or DType.F64;

    /// <summary>The name a safetensors header uses, e.g. "BF16" or "BOOL".</summary>
    public static string ToSafetensorsName(this DType dtype) =>
        dtype == DType.Bool ? "BOOL" : dtype.ToString();

    /// <summary>Parses a safetensors dtype name (case-sensitive, as the format specifies).</summary>
    public static bool TryParseSafetensorsName(string name, out DType dtype)
    {
        foreach (var candidate in Enum.GetValues<DType>())
        {
            if (candidate.ToSafetensorsName() == name)
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }
}
