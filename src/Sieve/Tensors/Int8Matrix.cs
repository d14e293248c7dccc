using System.Runtime.CompilerServices;

namespace Sieve.Tensors;

/// <summary>
/// A weight matrix quantized for <see cref="Int8Gemm"/>: symmetric int8 per output channel
/// (w ≈ scale[j]·q[j, k], q in [-127, 127]), packed for <c>vpdpbusd</c>. Column panels of
/// <see cref="PanelWidth"/> outputs hold, for each group of <see cref="Depth"/> consecutive k, the four
/// int8 weights of every column side by side (one 32-bit lane each), zero-padded past N and K, so the
/// micro-kernel streams a panel linearly, one 64-byte line per k group. Each column's Σ_k q is kept for the
/// zero-point correction of unsigned activations.
/// </summary>
internal sealed class Int8Matrix
{
    /// <summary>Output columns per panel: two 256-bit vectors of int32 accumulators.</summary>
    public const int PanelWidth = 16;

    /// <summary>Consecutive k values one int32 lane multiplies and sums (vpdpbusd's four byte pairs).</summary>
    public const int Depth = 4;

    readonly sbyte[] _data;
    readonly int _offset, _length;
    readonly float[] _scales;
    readonly int[] _columnSums;

    /// <summary>Inner (reduction) dimension.</summary>
    public int K { get; }

    /// <summary>Number of output columns.</summary>
    public int N { get; }

    /// <summary>K rounded up to whole <see cref="Depth"/> groups: the row stride of quantized activations.</summary>
    public int PaddedK => (K + Depth - 1) / Depth * Depth;

    internal int Panels => (N + PanelWidth - 1) / PanelWidth;
    /// <summary>The packed panels, starting on a 64-byte boundary so no 512-bit panel load splits a cache line.</summary>
    internal Span<sbyte> Data => _data.AsSpan(_offset, _length);

    /// <summary>Per-column dequantization scales, [N].</summary>
    internal ReadOnlySpan<float> Scales => _scales;

    /// <summary>Σ_k q[j, k] per column, zero past N (padded to whole panels).</summary>
    internal ReadOnlySpan<int> ColumnSums => _columnSums;

    Int8Matrix(int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        N = n;
        K = k;
        _length = checked(Panels * PanelWidth * PaddedK);
        // Pinned (the pinned heap never moves it), so the offset to the first 64-byte boundary stays right.
        _data = GC.AllocateArray<sbyte>(_length + 63, pinned: true);
        unsafe { _offset = (int)((64 - (nint)Unsafe.AsPointer(ref _data[0]) % 64) % 64); }
        _scales = new float[n];
        _columnSums = new int[Panels * PanelWidth];
    }

    /// <summary>Quantizes and packs a PyTorch <c>Linear</c> weight, [N, K] row-major (one row per output).</summary>
    public static Int8Matrix FromOutputRows(ReadOnlySpan<float> w, int n, int k)
    {
        if (w.Length != (long)n * k) throw new ArgumentException($"weight has {w.Length} values, expected {n}×{k}", nameof(w));
        var m = new Int8Matrix(n, k);
        var q = new sbyte[k];
        for (int j = 0; j < n; j++) m.SetRow(j, q, QuantizeRow(w.Slice(j * k, k), q));
        return m;
    }

    /// <summary>
    /// Packs weights quantized already by <see cref="QuantizeRow"/> (a saved int8 checkpoint): <paramref name="q"/>
    /// [N, K] row-major and one scale per row, so the result is the one <see cref="FromOutputRows"/> gives.
    /// </summary>
    public static Int8Matrix FromQuantizedRows(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, int n, int k)
    {
        if (q.Length != (long)n * k) throw new ArgumentException($"weight has {q.Length} values, expected {n}×{k}", nameof(q));
        if (scales.Length != n) throw new ArgumentException($"{scales.Length} scales, expected {n}", nameof(scales));
        var m = new Int8Matrix(n, k);
        for (int j = 0; j < n; j++) m.SetRow(j, q.Slice(j * k, k), scales[j]);
        return m;
    }

    /// <summary>Quantizes one output row <paramref name="row"/> into <paramref name="q"/>; returns its scale.</summary>
    /// <remarks>
    /// scale = max|w|/127, q = round(w/scale) (to nearest even): the largest weight maps to ±127 and every
    /// weight is within scale/2 of scale·q. -128 is never used, so the range is symmetric. An all-zero row
    /// gets scale 0 and q = 0.
    /// </remarks>
    internal static float QuantizeRow(ReadOnlySpan<float> row, Span<sbyte> q)
    {
        float max = 0;
        foreach (float x in row) max = Math.Max(max, Math.Abs(x));
        float scale = max / 127f;
        for (int kk = 0; kk < row.Length; kk++)
            q[kk] = (sbyte)(scale > 0 ? Math.Clamp((int)MathF.Round(row[kk] / scale), -127, 127) : 0);
        return scale;
    }

    /// <summary>Packs output column <paramref name="j"/>'s quantized weights and keeps its scale and Σ_k q.</summary>
    void SetRow(int j, ReadOnlySpan<sbyte> q, float scale)
    {
        int quads = PaddedK / Depth, panel = j / PanelWidth, column = j % PanelWidth, sum = 0;
        var data = Data;
        for (int kk = 0; kk < K; kk++)
        {
            data[(int)(((long)panel * quads + kk / Depth) * PanelWidth * Depth + column * Depth + kk % Depth)] = q[kk];
            sum += q[kk];
        }
        _scales[j] = scale;
        _columnSums[j] = sum;
    }

    /// <summary>The quantized weight q[<paramref name="column"/>, <paramref name="k"/>] (for checks).</summary>
    internal sbyte Weight(int column, int k) =>
        Data[(int)(((long)(column / PanelWidth) * (PaddedK / Depth) + k / Depth) * PanelWidth * Depth + column % PanelWidth * Depth + k % Depth)];
}
