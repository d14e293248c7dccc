using System.Numerics.Tensors;

namespace Sieve.Tensors;

/// <summary>
/// C = A·B (+ bias, then an optional activation) for row-major float32 A [M, K] and a pre-packed B.
/// Work is split into (column panel × row range) items, each walking its panel in K blocks that are
/// accumulated in C; every output element is one FMA chain over k in order whatever the split, so results
/// are the same bit for bit on every thread count.
/// </summary>
internal static unsafe class Gemm
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
        GemmArguments.Check(a, lda, m, k, c, ldc, n, bias);
        if (!GemmPaths.IsSupported(path)) throw new PlatformNotSupportedException($"{path} GEMM is not accelerated on this machine");

        int threads = parallel ? Threading.MaxThreads : 1;
        int fullPanels = n / PackedMatrix.PanelWidth, rowBlocks = (m + RowBlock - 1) / RowBlock;
        // Items per thread: four let the dynamic scheduler even out the narrow last panel and busy cores. A
        // K-blocked GEMM takes two, each a group of panels walked K block by K block, so that the block of A
        // loaded into L2 serves the whole group (all of A is too large to stay there from panel to panel);
        // splitting its rows as well measured slower. Rows are split only when panels are too few to share
        // out (attention's single-panel P·V).
        // A single row block (a decoding step's one row) has nothing to reuse a K block for: each panel is streamed once,
        // whole. Blocked, a llava-tiny step (K = 1024 and 4096) had jumped between panels every K block: 47.2–51.9 ms a
        // step against 44.5–50.6 unblocked (three runs of 55–115 steps, alternated in one process).
        bool blocked = m > RowBlock && KBlock(k) < k;
        int group = blocked ? Math.Max(1, fullPanels / (2 * threads)) : 1;
        int panelGroups = (fullPanels + group - 1) / group + (b.Panels - fullPanels); // the ragged panel alone
        int rowGroups = parallel ? Math.Clamp(((blocked ? 2 : 4) * threads + panelGroups - 1) / panelGroups, 1, rowBlocks) : 1;

        fixed (float* pa = a, pc = c, pbias = bias, pb = b.Data)
        {
            var job = new Job((nint)pa, lda, m, (nint)pb, b.PanelStride, k, n, (nint)pc, ldc, (nint)pbias, activation, path,
                fullPanels, group, panelGroups, rowBlocks, rowGroups);
            int items = panelGroups * rowGroups;
            if (!parallel || items == 1)
                for (int i = 0; i < items; i++) job.Run(i);
            else
                Threading.For(items, job.Run);
        }
    }

    /// <summary>
    /// K-block length for a panel of depth <paramref name="k"/>: equal blocks of at most
    /// <see cref="MaxKBlock"/>, so the panel slice (≤ 192 KB) stays in L2 while every row block of the
    /// item streams past it, instead of a K × 64 panel (768 KB at K = 3072) being evicted by A. Blocks of
    /// 512–1536 measured alike; 256 and shorter were slower (each row block's six A streams get too short
    /// for the prefetcher, and C is reloaded more often).
    /// </summary>
    internal static int KBlock(int k)
    {
        int blocks = (k + MaxKBlock - 1) / MaxKBlock;
        return (k + blocks - 1) / blocks;
    }

    internal const int MaxKBlock = 768;

    readonly record struct Job(nint A, int Lda, int M, nint B, long PanelStride, int K, int N, nint C, int Ldc, nint Bias,
        Activation Activation, GemmPath Path, int FullPanels, int Group, int PanelGroups, int RowBlocks, int RowGroups)
    {
        public void Run(int item)
        {
            // Groups of Group full panels, then the ragged panel, if any, as a group of its own.
            int panelGroup = item % PanelGroups, rowGroup = item / PanelGroups;
            int first = Math.Min(panelGroup * Group, FullPanels);
            int end = first < FullPanels ? Math.Min(first + Group, FullPanels) : first + 1;
            int rowStart = (int)((long)rowGroup * RowBlocks / RowGroups) * RowBlock;
            int rowEnd = Math.Min(M, (int)((long)(rowGroup + 1) * RowBlocks / RowGroups) * RowBlock);
            // Full panels are written straight into C, K block by K block; the ragged last panel (alone in its
            // group) goes through a one-block tile, so it takes all of K at once (its few vectors need no
            // cache blocking).
            int width = Math.Min(PackedMatrix.PanelWidth, N - first * PackedMatrix.PanelWidth);
            bool direct = width == PackedMatrix.PanelWidth;
            // A profiled run applies the activation once the item is done, over its rows at once: the same values
            // element by element, timed with two clock reads per item instead of per row block (a clock read can
            // cost a few hundred ns on a VM, which would swamp a 6 × 64 tile's activation).
            bool deferActivation = Activation != Activation.None && OpProfile.Current != null;
            var activation = deferActivation ? Activation.None : Activation;
            bool epilogue = !direct || Bias != 0 || activation != Activation.None;
            int kBlock = direct && M > RowBlock ? KBlock(K) : K;
            float* tile = stackalloc float[RowBlock * PackedMatrix.PanelWidth];

            for (int k0 = 0; k0 < K; k0 += kBlock)
            {
                int depth = Math.Min(kBlock, K - k0);
                bool last = k0 + depth == K;
                for (int panel = first; panel < end; panel++)
                {
                    int n0 = panel * PackedMatrix.PanelWidth;
                    float* b = (float*)B + panel * PanelStride + (long)k0 * PackedMatrix.PanelWidth;
                    for (int r0 = rowStart; r0 < rowEnd; r0 += RowBlock)
                    {
                        int rows = Math.Min(RowBlock, rowEnd - r0);
                        float* dst = direct ? (float*)C + (long)r0 * Ldc + n0 : tile;
                        int ldd = direct ? Ldc : PackedMatrix.PanelWidth;
                        GemmKernels.Run(Path, (float*)A + (long)r0 * Lda + k0, Lda, rows, b, depth, dst, ldd, width, accumulate: k0 > 0);
                        if (last && epilogue) Finish(r0, rows, n0, width, direct ? null : tile, activation);
                    }
                }
            }
            if (!deferActivation) return;
            using var time = OpProfile.Time(OpKind.Activation);
            int columns = Math.Min(end * PackedMatrix.PanelWidth, N) - first * PackedMatrix.PanelWidth;
            for (int r = rowStart; r < rowEnd; r++)
                Activations.Apply(new Span<float>((float*)C + (long)r * Ldc + first * PackedMatrix.PanelWidth, columns), Activation);
        }

        // Epilogue once a row block holds its complete sums: copy out of the tile, add the bias, activate.
        // The copy is a plain loop: a few floats per row, where a Span copy's call would cost more.
        void Finish(int r0, int rows, int n0, int width, float* tile, Activation activation)
        {
            for (int r = 0; r < rows; r++)
            {
                float* row = (float*)C + (long)(r0 + r) * Ldc + n0;
                if (tile != null)
                    for (int j = 0; j < width; j++) row[j] = tile[r * PackedMatrix.PanelWidth + j];
                var span = new Span<float>(row, width);
                if (Bias != 0) TensorPrimitives.Add(span, new ReadOnlySpan<float>((float*)Bias + n0, width), span);
                if (activation != Activation.None) Activations.Apply(span, activation);
            }
        }
    }
}
