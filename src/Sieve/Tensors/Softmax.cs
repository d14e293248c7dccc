using System.Numerics.Tensors;

namespace Sieve.Tensors;

/// <summary>Numerically stable softmax over one row (max subtracted before exp).</summary>
public static class Softmax
{
    /// <summary>Replaces <paramref name="row"/> by softmax(row).</summary>
    public static void InPlace(Span<float> row)
    {
        if (row.IsEmpty) return;
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
    }
}
