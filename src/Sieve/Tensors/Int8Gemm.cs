using System.Runtime.Intrinsics;

namespace Sieve.Tensors;

/// <summary>
/// C = act(A·Wᵀ + bias) in int8: A quantized per row to unsigned 8-bit with a zero point
/// (<see cref="QuantizedRows"/>), W per output column to symmetric int8 (<see cref="Int8Matrix"/>), exact int32
/// sums, and one float32 epilogue per tile: C[i, j] = (Σ_k qa·qw − zpᵢ·Σ_k qw)·(saᵢ·swⱼ) + bias[j], then the
/// activation. Every output element is an exact integer sum and an element-wise epilogue, so results are the
/// same bit for bit whatever the path, the thread count or the split.
/// </summary>
internal static unsafe class Int8Gemm
{
    /// <summary>
    /// Computes <c>C[i, j] ≈ act(Σ_k A[i, k]·W[j, k] + bias[j])</c> for i &lt; <paramref name="m"/>, with A
    /// quantized on the fly.
    /// </summary>
    /// <param name="a">A, row stride <paramref name="lda"/> (≥ K).</param>
    /// <param name="lda">Row stride of A in floats.</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="b">Quantized weights with <c>b.K</c> = K and <c>b.N</c> = N.</param>
    /// <param name="c">C, row stride <paramref name="ldc"/> (≥ N); overwritten.</param>
    /// <param name="ldc">Row stride of C in floats.</param>
    /// <param name="bias">Empty, or N values added to every row.</param>
    /// <param name="activation">Applied after the bias.</param>
    /// <param name="parallel">False when the caller already runs in parallel.</param>
    public static void Multiply(ReadOnlySpan<float> a, int lda, int m, Int8Matrix b, Span<float> c, int ldc,
        ReadOnlySpan<float> bias = default, Activation activation = Activation.None, bool parallel = true) =>
        Multiply(a, lda, m, b, c, ldc, bias, activation, parallel, Int8GemmPaths.Best);

    internal static void Multiply(ReadOnlySpan<float> a, int lda, int m, Int8Matrix b, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, Activation activation, bool parallel, Int8GemmPath path)
    {
        int k = b.K, n = b.N;
        if (m == 0) return;
        GemmArguments.Check(a, lda, m, k, c, ldc, n, bias);
        if (!Int8GemmPaths.IsSupported(path)) throw new PlatformNotSupportedException($"the {path} int8 GEMM path is not available on this machine");

        using var rows = QuantizedRows.Quantize(a, lda, m, k, parallel);
        fixed (float* pc = c, pbias = bias)
            Run(rows, b, (nint)pc, ldc, (nint)pbias, activation, raw: false, parallel, path);
    }

    /// <summary>
    /// The kernels' raw int32 sums <c>C[i, j] = Σ_k qa[i, k]·qw[j, k]</c>, before the zero-point correction and
    /// the scales (for checking every path against exact integer arithmetic).
    /// </summary>
    internal static void Accumulate(QuantizedRows a, Int8Matrix b, Span<int> c, int ldc, bool parallel, Int8GemmPath path)
    {
        if (a.Stride != b.PaddedK) throw new ArgumentException($"rows are quantized for K = {a.Stride}, weights have K = {b.K}", nameof(a));
        if (ldc < b.N) throw new ArgumentException($"ldc {ldc} < N {b.N}", nameof(ldc));
        if (a.Rows > 0 && c.Length < (long)(a.Rows - 1) * ldc + b.N) throw new ArgumentException($"C holds {c.Length} ints, needs {(long)(a.Rows - 1) * ldc + b.N}", nameof(c));
        if (!Int8GemmPaths.IsSupported(path)) throw new PlatformNotSupportedException($"the {path} int8 GEMM path is not available on this machine");
        if (a.Rows == 0) return;
        fixed (int* pc = c)
            Run(a, b, (nint)pc, ldc, 0, Activation.None, raw: true, parallel, path);
    }

    static void Run(QuantizedRows a, Int8Matrix b, nint c, int ldc, nint bias, Activation activation, bool raw, bool parallel, Int8GemmPath path)
    {
        int threads = parallel ? Threading.MaxThreads : 1;
        int panels = b.Panels, rowBlocks = (a.Rows + Int8GemmKernels.Rows - 1) / Int8GemmKernels.Rows;
        // About four items per thread, so the dynamic scheduler evens out busy cores: groups of panels when
        // there are many (each panel, ≤ 48 KB at K = 3072, is reused by every row block of the item while A
        // streams from L2), and rows split as well when there are too few.
        // Groups are whole kernel calls wide.
        int perCall = Int8GemmKernels.PanelsPerCall(path);
        int group = (Math.Max(1, panels / (4 * threads)) + perCall - 1) / perCall * perCall;
        int panelGroups = (panels + group - 1) / group;
        int rowGroups = parallel ? Math.Clamp((4 * threads + panelGroups - 1) / panelGroups, 1, rowBlocks) : 1;
        fixed (byte* pa = a.Values)
        fixed (sbyte* pb = b.Data)
        fixed (float* rowScales = a.Scales, columnScales = b.Scales)
        fixed (int* zeroPoints = a.ZeroPoints, columnSums = b.ColumnSums)
        {
            var job = new Job((nint)pa, a.Stride, a.Rows, (nint)pb, b.PaddedK / Int8Matrix.Depth, b.N, c, ldc, bias,
                (nint)rowScales, (nint)zeroPoints, (nint)columnScales, (nint)columnSums, activation, raw, path,
                group, panelGroups, rowBlocks, rowGroups);
            int items = panelGroups * rowGroups;
            if (!parallel || items == 1)
                for (int i = 0; i < items; i++) job.Run(i);
            else
                Threading.For(items, job.Run);
        }
    }

    readonly record struct Job(nint A, int Lda, int M, nint B, int Quads, int N, nint C, int Ldc, nint Bias,
        nint RowScales, nint ZeroPoints, nint ColumnScales, nint ColumnSums, Activation Activation, bool Raw,
        Int8GemmPath Path, int Group, int PanelGroups, int RowBlocks, int RowGroups)
    {
        const int W = Int8Matrix.PanelWidth, R = Int8GemmKernels.Rows;

        public void Run(int item)
        {
            int panelGroup = item % PanelGroups, rowGroup = item / PanelGroups;
            int first = panelGroup * Group, end = Math.Min(first + Group, (N + W - 1) / W);
            int rowStart = (int)((long)rowGroup * RowBlocks / RowGroups) * R;
            int rowEnd = Math.Min(M, (int)((long)(rowGroup + 1) * RowBlocks / RowGroups) * R);
            int perCall = Int8GemmKernels.PanelsPerCall(Path);
            int* tile = stackalloc int[R * W * perCall];
            long panelBytes = (long)Quads * W * Int8Matrix.Depth;
            for (int panel = first; panel < end; panel += perCall)
            {
                int count = Math.Min(perCall, end - panel), stride = count * W;
                int n0 = panel * W, width = Math.Min(stride, N - n0);
                sbyte* b = (sbyte*)B + panel * panelBytes;
                for (int r0 = rowStart; r0 < rowEnd; r0 += R)
                {
                    // A has zero rows up to a whole block, so the kernel always computes six.
                    Int8GemmKernels.Run(Path, (byte*)A + (long)r0 * Lda, Lda, b, count, panelBytes, Quads, tile);
                    int rows = Math.Min(R, rowEnd - r0);
                    if (Raw) CopyOut(tile, stride, r0, rows, n0, width);
                    else Finish(tile, stride, r0, rows, n0, width);
                }
            }
        }

        void CopyOut(int* tile, int stride, int r0, int rows, int n0, int width)
        {
            for (int r = 0; r < rows; r++)
                new ReadOnlySpan<int>(tile + r * stride, width).CopyTo(new Span<int>((int*)C + (long)(r0 + r) * Ldc + n0, width));
        }

        // y = (sum − zp·colsum)·(sa·sw) + bias in one FMA, the same operations in the vector body and the
        // scalar tail, so an element's value does not depend on where it sits in the panel.
        void Finish(int* tile, int stride, int r0, int rows, int n0, int width)
        {
            float* scales = (float*)ColumnScales + n0, bias = (float*)Bias + n0;
            int* sums = (int*)ColumnSums + n0;
            for (int r = 0; r < rows; r++)
            {
                float* y = (float*)C + (long)(r0 + r) * Ldc + n0;
                int* acc = tile + r * stride;
                float rowScale = ((float*)RowScales)[r0 + r];
                int zeroPoint = ((int*)ZeroPoints)[r0 + r];
                int j = 0;
                if (Vector512.IsHardwareAccelerated)
                    for (; j + 16 <= width; j += 16)
                    {
                        var exact = Vector512.Load(acc + j) - Vector512.Create(zeroPoint) * Vector512.Load(sums + j);
                        var addend = Bias != 0 ? Vector512.Load(bias + j) : Vector512<float>.Zero;
                        Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(exact), Vector512.Create(rowScale) * Vector512.Load(scales + j), addend).Store(y + j);
                    }
                if (Vector256.IsHardwareAccelerated)
                    for (; j + 8 <= width; j += 8)
                    {
                        var exact = Vector256.Load(acc + j) - Vector256.Create(zeroPoint) * Vector256.Load(sums + j);
                        var addend = Bias != 0 ? Vector256.Load(bias + j) : Vector256<float>.Zero;
                        Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(exact), Vector256.Create(rowScale) * Vector256.Load(scales + j), addend).Store(y + j);
                    }
                for (; j < width; j++)
                    y[j] = MathF.FusedMultiplyAdd(acc[j] - zeroPoint * sums[j], rowScale * scales[j], Bias != 0 ? bias[j] : 0f);
                if (Activation != Activation.None) Activations.Apply(new Span<float>(y, width), Activation);
            }
        }
    }
}
