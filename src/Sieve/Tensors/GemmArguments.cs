namespace Sieve.Tensors;

/// <summary>The span checks every GEMM entry makes (float and int8 alike), in one place.</summary>
internal static class GemmArguments
{
    /// <summary>
    /// Checks C[m, n] = A[m, k] · B for row strides <paramref name="lda"/> and <paramref name="ldc"/>: the strides cover
    /// the rows, the spans hold the rows they are read and written at, and a bias, if any, has one value per column.
    /// </summary>
    public static void Check(ReadOnlySpan<float> a, int lda, int m, int k, ReadOnlySpan<float> c, int ldc, int n, ReadOnlySpan<float> bias)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        if (lda < k) throw new ArgumentException($"lda {lda} < K {k}", nameof(lda));
        if (ldc < n) throw new ArgumentException($"ldc {ldc} < N {n}", nameof(ldc));
        if (a.Length < (long)(m - 1) * lda + k) throw new ArgumentException($"A holds {a.Length} floats, needs {(long)(m - 1) * lda + k}", nameof(a));
        if (c.Length < (long)(m - 1) * ldc + n) throw new ArgumentException($"C holds {c.Length} floats, needs {(long)(m - 1) * ldc + n}", nameof(c));
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} values, expected {n}", nameof(bias));
    }
}
