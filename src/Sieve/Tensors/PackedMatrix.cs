namespace Sieve.Tensors;

/// <summary>
/// The right-hand matrix B of C = A·B, packed once for <see cref="Gemm"/>: column panels of
/// <see cref="PanelWidth"/> outputs, each stored as K rows of 64 contiguous floats (zero-padded past N),
/// so the micro-kernel streams B linearly. Weights are packed at load time; attention packs keys and
/// values per head into a reused instance, and a decoder's key/value cache grows its own by appending
/// (<see cref="AppendOutputRows"/>, <see cref="AppendInputRows"/>).
/// </summary>
internal sealed class PackedMatrix
{
    /// <summary>Output columns per panel: 4 × Vector512 or 8 × Vector256 of floats.</summary>
    public const int PanelWidth = 64;

    float[] _data = [];
    int _depthCapacity; // rows of K each panel has room for: panels lie PanelStride floats apart

    /// <summary>Inner (reduction) dimension.</summary>
    public int K { get; private set; }

    /// <summary>Number of output columns.</summary>
    public int N { get; private set; }

    internal int Panels => (N + PanelWidth - 1) / PanelWidth;
    internal float[] Data => _data;

    /// <summary>Floats from one panel's start to the next's: K × 64, or more where the depth has room to grow.</summary>
    internal long PanelStride => (long)_depthCapacity * PanelWidth;

    /// <summary>An empty matrix of depth <paramref name="k"/> that grows by output columns (a key cache: q·kᵀ).</summary>
    internal static PackedMatrix GrowingColumns(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        return new PackedMatrix { K = k, _depthCapacity = k };
    }

    /// <summary>An empty matrix of <paramref name="n"/> columns that grows in depth (a value cache: p·v).</summary>
    internal static PackedMatrix GrowingDepth(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return new PackedMatrix { N = n };
    }

    /// <summary>
    /// Packs a PyTorch <c>Linear</c> weight: <paramref name="w"/> is [N, K] row-major (one row per output),
    /// so that <c>Gemm</c> computes y = x·Wᵀ.
    /// </summary>
    public static PackedMatrix FromOutputRows(ReadOnlySpan<float> w, int n, int k)
    {
        var packed = new PackedMatrix();
        packed.PackOutputRows(w, n, k, k);
        return packed;
    }

    /// <summary>Packs a plain [K, N] row-major matrix B (row stride <paramref name="ldb"/>).</summary>
    public static PackedMatrix FromInputRows(ReadOnlySpan<float> b, int k, int n, int ldb)
    {
        var packed = new PackedMatrix();
        packed.PackInputRows(b, k, n, ldb);
        return packed;
    }

    /// <summary>Repacks in place from an [N, K] matrix with row stride <paramref name="ldw"/>.</summary>
    internal void PackOutputRows(ReadOnlySpan<float> w, int n, int k, int ldw)
    {
        Resize(n, k);
        for (int p = 0; p < Panels; p++)
        {
            var panel = _data.AsSpan(p * k * PanelWidth, k * PanelWidth);
            int n0 = p * PanelWidth, width = Math.Min(PanelWidth, n - n0);
            for (int j = 0; j < width; j++)
            {
                var row = w.Slice((n0 + j) * ldw, k);
                for (int kk = 0; kk < k; kk++) panel[kk * PanelWidth + j] = row[kk];
            }
        }
    }

    /// <summary>Repacks in place from a [K, N] matrix with row stride <paramref name="ldb"/>.</summary>
    internal void PackInputRows(ReadOnlySpan<float> b, int k, int n, int ldb)
    {
        Resize(n, k);
        for (int p = 0; p < Panels; p++)
        {
            var panel = _data.AsSpan(p * k * PanelWidth, k * PanelWidth);
            int n0 = p * PanelWidth, width = Math.Min(PanelWidth, n - n0);
            for (int kk = 0; kk < k; kk++)
                b.Slice(kk * ldb + n0, width).CopyTo(panel.Slice(kk * PanelWidth, width));
        }
    }

    /// <summary>
    /// Appends <paramref name="count"/> output columns from [count, K] rows with row stride <paramref name="ldw"/>: what
    /// <see cref="PackOutputRows"/> of all the rows so far would hold. Panels lie K × 64 apart, so they are only added.
    /// </summary>
    internal void AppendOutputRows(ReadOnlySpan<float> w, int count, int ldw)
    {
        int n = N + count, k = K;
        long needed = (long)((n + PanelWidth - 1) / PanelWidth) * PanelStride;
        if (needed > _data.Length) Array.Resize(ref _data, checked((int)Math.Max(needed, 2L * _data.Length))); // new panels read as zeros
        for (int j = 0; j < count; j++)
        {
            int column = N + j;
            var panel = _data.AsSpan((int)(column / PanelWidth * PanelStride));
            var row = w.Slice(j * ldw, k);
            for (int kk = 0; kk < k; kk++) panel[kk * PanelWidth + column % PanelWidth] = row[kk];
        }
        N = n;
    }

    /// <summary>
    /// Appends <paramref name="count"/> rows of depth from [count, N] rows with row stride <paramref name="ldb"/>: what
    /// <see cref="PackInputRows"/> of all the rows so far would hold. Each panel keeps room for half its depth again, and
    /// moves to a longer stride when that is used up.
    /// </summary>
    internal void AppendInputRows(ReadOnlySpan<float> b, int count, int ldb)
    {
        int k = K + count, panels = Panels;
        if (k > _depthCapacity)
        {
            int capacity = Math.Max(k + k / 2, 2 * _depthCapacity);
            var grown = new float[checked(panels * capacity * PanelWidth)];
            for (int p = 0; p < panels; p++)
                _data.AsSpan((int)(p * PanelStride), K * PanelWidth).CopyTo(grown.AsSpan(p * capacity * PanelWidth));
            (_data, _depthCapacity) = (grown, capacity);
        }
        for (int p = 0; p < panels; p++)
        {
            int n0 = p * PanelWidth, width = Math.Min(PanelWidth, N - n0);
            for (int kk = 0; kk < count; kk++)
                b.Slice(kk * ldb + n0, width).CopyTo(_data.AsSpan((int)(p * PanelStride) + (K + kk) * PanelWidth, width));
        }
        K = k;
    }

    /// <summary>An independent copy (a beam that continues from a cache).</summary>
    internal PackedMatrix Clone() => new() { _data = (float[])_data.Clone(), _depthCapacity = _depthCapacity, K = K, N = N };

    void Resize(int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        N = n;
        K = k;
        _depthCapacity = k;
        int length = checked(Panels * k * PanelWidth);
        if (_data.Length < length) _data = new float[length];
        // Padding columns of the last panel must read as zeros.
        if (n % PanelWidth != 0) _data.AsSpan((Panels - 1) * k * PanelWidth, k * PanelWidth).Clear();
    }
}
