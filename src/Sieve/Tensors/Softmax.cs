using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sieve.Tensors;

/// <summary>Numerically stable softmax over one row (max subtracted before exp).</summary>
internal static class Softmax
{
    /// <summary>Replaces <paramref name="row"/> by softmax(row).</summary>
    public static void InPlace(Span<float> row)
    {
        if (row.IsEmpty) return;
        float max = TensorPrimitives.Max(row);
        float sum = Vector512.IsHardwareAccelerated ? ExpInPlace<F512>(row, max)
            : Vector256.IsHardwareAccelerated ? ExpInPlace<F256>(row, max)
            : ExpInPlace<F128>(row, max);
        TensorPrimitives.Multiply(row, 1f / sum, row);
    }

    // row[i] = exp(row[i] − max) and their sum in one pass (TensorPrimitives took three, with a slower exp).
    // The ragged tail takes the same formula one element per 128-bit vector, cheaper than staging a padded
    // wide vector through a buffer.
    static float ExpInPlace<TV>(Span<float> row, float max) where TV : unmanaged, IFloatVector<TV>
    {
        var shift = TV.Create(max);
        var sum = TV.Create(0f);
        var vectors = MemoryMarshal.Cast<float, TV>(row);
        foreach (ref var v in vectors)
        {
            v = FloatVector.Exp(v - shift);
            sum += v;
        }
        float total = sum.Sum;
        for (int i = vectors.Length * TV.Count; i < row.Length; i++)
        {
            row[i] = FloatVector.Exp(F128.Create(row[i] - max)).First;
            total += row[i];
        }
        return total;
    }
}
