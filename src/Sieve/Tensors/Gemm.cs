using System.Numerics.Tensors;

namespace Sieve.Tensors;

/// <summary>
/// C = A·B (+ bias, then an optional activation) for row-major float32 A [M, K] and a pre-packed B.
/// Work is split into (column panel × row range) items; each output element is summed in the same
/// order on every thread count, so results are deterministic.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Rows of A handled by one micro-kernel call.</summary>
    internal const int RowBlock = 6;

    /// <summary>
    /// Computes <c>C[i, j] = act(Σ_k A[i, k]·B[k, j] + bias[j])</c> for i &lt; <paramref name="m"/>.
    /// </summary>
    /// <param name="a">A, row stride <paramref name="lda"/> (≥ K).</param>
    /// <param name="lda">Row stride of A in floats.</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="b">Packed B with <c>b.K</c> = K and <c>b.N</c> = N.</param>
    /// <param name="c">C, row stride <paramref name="ldc"/> (≥ N); overwritten.</param>
    /// <param name="ldc">Row stride of C in floats.</param>
    /// <param name="bias">Empty, or N values added to every row.</param>
    /// <param name="activation">Applied after the bias.</param>
    /// <param name="parallel">False when the caller already runs in parallel (e.g. per head).</param>
    public static void Multiply(ReadOnlySpan<float> a, int lda, int m, PackedMatrix b, Span<float> c, int ldc,
        ReadOnlySpan<float> bias = default, Activation activation = Activation.None, bool parallel = true) =>
        Multiply(a, lda, m, b, c, ldc, bias, activation, parallel, GemmPaths.Best);

    internal static void Multiply(ReadOnlySpan<float> a, int lda, int m, PackedMatrix b, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, Activation activation, bool parallel, GemmPath path)
    {
        int k = b.K, n = b.N;
        if (m == 0) return;
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        if (lda < k) throw new ArgumentException($"lda {lda} < K {k}", nameof(lda));
        if (ldc < n) throw new ArgumentException($"ldc {ldc} < N {n}", nameof(ldc));
        if (a.Length < (long)(m - 1) * lda + k) throw new ArgumentException($"A holds {a.Length} floats, needs {(long)(m - 1) * lda + k}", nameof(a));
        if (c.Length < (long)(m - 1) * ldc + n) throw new ArgumentException($"C holds {c.Length} floats, needs {(long)(m - 1) * ldc + n}", nameof(c));
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} values, expected {n}", nameof(bias));
        if (!GemmPaths.IsSupported(path)) throw new PlatformNotSupportedException($"{path} GEMM is not accelerated on this machine");

        int panels = b.Panels;
        int rowBlocks = (m + RowBlock - 1) / RowBlock;
        // Enough items to keep every thread busy even when N is a single panel (attention P·V).
        int rowGroups = parallel ? Math.Clamp((2 * Threading.MaxThreads + panels - 1) / panels, 1, rowBlocks) : 1;
        int blocksPerGroup = (rowBlocks + rowGroups - 1) / rowGroups;

        fixed (float* pa = a, pc = c, pbias = bias, pb = b.Data)
        {
            var job = new Job((nint)pa, lda, m, (nint)pb, k, n, (nint)pc, ldc, (nint)pbias, activation, path, blocksPerGroup);
            int items = panels * rowGroups;
            if (!parallel || items == 1)
                for (int i = 0; i < items; i++) job.Run(i, panels);
            else
                Threading.For(items, i => job.Run(i, panels));
        }
    }

    readonly record struct Job(nint A, int Lda, int M, nint B, int K, int N, nint C, int Ldc, nint Bias,
        Activation Activation, GemmPath Path, int BlocksPerGroup)
    {
        public void Run(int item, int panels)
        {
            int panel = item % panels, group = item / panels;
            int n0 = panel * PackedMatrix.PanelWidth, width = Math.Min(PackedMatrix.PanelWidth, N - n0);
            int rowStart = group * BlocksPerGroup * RowBlock, rowEnd = Math.Min(M, rowStart + BlocksPerGroup * RowBlock);
            float* b = (float*)B + (long)panel * K * PackedMatrix.PanelWidth;
            float* tile = stackalloc float[RowBlock * PackedMatrix.PanelWidth];

            for (int r0 = rowStart; r0 < rowEnd; r0 += RowBlock)
            {
                int rows = Math.Min(RowBlock, rowEnd - r0);
                float* a = (float*)A + (long)r0 * Lda;
                // Full panels are written straight into C; the ragged last panel goes through a tile.
                bool direct = width == PackedMatrix.PanelWidth;
                float* dst = direct ? (float*)C + (long)r0 * Ldc + n0 : tile;
                int ldd = direct ? Ldc : PackedMatrix.PanelWidth;
                GemmKernels.Run(Path, a, Lda, rows, b, K, dst, ldd);

                for (int r = 0; r < rows; r++)
                {
                    var row = new Span<float>((float*)C + (long)(r0 + r) * Ldc + n0, width);
                    if (!direct) new ReadOnlySpan<float>(tile + r * PackedMatrix.PanelWidth, width).CopyTo(row);
                    if (Bias != 0) TensorPrimitives.Add(row, new ReadOnlySpan<float>((float*)Bias + n0, width), row);
                    Activations.Apply(row, Activation);
                }
            }
        }
    }
}
