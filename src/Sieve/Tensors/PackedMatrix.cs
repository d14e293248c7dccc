namespace Sieve.Tensors;

/// <summary>
/// The right-hand matrix B of C = A·B, packed once for <see cref="Gemm"/>: column panels of
/// <see cref="PanelWidth"/> outputs, each stored as K rows of 64 contiguous floats (zero-padded past N),
/// so the micro-kernel streams B linearly. Weights are packed at load time; attention packs keys and
/// values per head into a reused instance.
/// </summary>
internal sealed class PackedMatrix
{
    /// <summary>Output columns per panel: 4 × Vector512 or 8 × Vector256 of floats.</summary>
    public const int PanelWidth = 64;

    float[] _data = [];

    /// <summary>Inner (reduction) dimension.</summary>
    public int K { get; private set; }

    /// <summary>Number of output columns.</summary>
    public int N { get; private set; }

    internal int Panels => (N + PanelWidth - 1) / PanelWidth;
    internal float[] Data => _data;

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

    void Resize(int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        N = n;
        K = k;
        int length = checked(Panels * k * PanelWidth);
        if (_data.Length < length) _data = new float[length];
        // Padding columns of the last panel must read as zeros.
        if (n % PanelWidth != 0) _data.AsSpan((Panels - 1) * k * PanelWidth, k * PanelWidth).Clear();
    }
}
