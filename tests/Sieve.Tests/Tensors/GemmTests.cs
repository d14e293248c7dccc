using Sieve.Tensors;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;

namespace Sieve.Tests.Tensors;

[Collection(ThreadCountCollection.Name)]
public class GemmTests
{
    [Fact]
    public void EveryPathHasADataRow() =>
        Assert.Equal(Enum.GetValues<GemmPath>(), new[] { GemmPath.Scalar, GemmPath.Vector256, GemmPath.Vector512 }); // the rows below

    // |error| ≤ rtol·Σ|a·b| + atol: float32 accumulation error grows with the magnitude of the terms.
    static void AssertMatches(float[] c, int ldc, double[] expected, double[] magnitude, int m, int n)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double want = expected[i * n + j], got = c[i * ldc + j];
                double tol = 2e-6 * magnitude[i * n + j] + 1e-6;
                Assert.True(Math.Abs(got - want) <= tol, $"C[{i},{j}] = {got}, float64 reference {want} (tol {tol:g3})");
            }
    }

    static (double[] Value, double[] Magnitude) Reference(float[] a, int lda, int m, float[] w, int n, int k, float[]? bias)
    {
        var value = new double[m * n];
        var mag = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = bias?[j] ?? 0, abs = Math.Abs(s);
                for (int p = 0; p < k; p++)
                {
                    double t = (double)a[i * lda + p] * w[j * k + p];
                    s += t;
                    abs += Math.Abs(t);
                }
                value[i * n + j] = s;
                mag[i * n + j] = abs;
            }
        return (value, mag);
    }

    [Theory]
    [GemmPathData(GemmPath.Scalar)]
    [GemmPathData(GemmPath.Vector256)]
    [GemmPathData(GemmPath.Vector512)]
    public void MatchesFloat64ReferenceOnRaggedShapes(GemmPath path)
    {
        var rng = new Random(1);
        foreach (var (m, k, n) in new[] { (1, 1, 1), (5, 3, 63), (6, 64, 64), (7, 100, 65), (13, 17, 130), (197, 64, 197), (12, 768, 40), (11, 197, 200), (4, 9, 16) })
        {
            var a = Rand.Uniform(rng, m * k);
            var w = Rand.Uniform(rng, n * k);
            var bias = Rand.Uniform(rng, n);
            var c = new float[m * n];
            Gemm.Multiply(a, k, m, PackedMatrix.FromOutputRows(w, n, k), c, n, bias, Activation.None, parallel: true, path);
            var (want, mag) = Reference(a, k, m, w, n, k, bias);
            AssertMatches(c, n, want, mag, m, n);
        }
    }

    [Theory]
    [GemmPathData(GemmPath.Scalar)]
    [GemmPathData(GemmPath.Vector256)]
    [GemmPathData(GemmPath.Vector512)]
    public void HonoursStridesAndLeavesOtherColumnsAlone(GemmPath path)
    {
        var rng = new Random(2);
        int m = 9, k = 20, n = 70, lda = 33, ldc = 90;
        var a = Rand.Uniform(rng, m * lda);
        var w = Rand.Uniform(rng, n * k);
        var c = Enumerable.Repeat(42f, m * ldc).ToArray();
        Gemm.Multiply(a, lda, m, PackedMatrix.FromOutputRows(w, n, k), c, ldc, default, Activation.None, parallel: false, path);
        var (want, mag) = Reference(a, lda, m, w, n, k, null);
        AssertMatches(c, ldc, want, mag, m, n);
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++) Assert.Equal(42f, c[i * ldc + j]);
    }

    [Theory]
    [GemmPathData(GemmPath.Scalar)]
    [GemmPathData(GemmPath.Vector256)]
    [GemmPathData(GemmPath.Vector512)]
    public void KBlocksAccumulateBeforeBiasAndActivation(GemmPath path)
    {
        // K = 1700 runs in three K blocks; strides, a ragged last row block, a ragged last panel (N = 327), and
        // single-threaded, panels walked in groups of two with a group of one left over.
        var rng = new Random(8);
        int m = 13, k = 1700, n = 327, lda = 1703, ldc = 331;
        Assert.True(k > Gemm.KBlock(k));
        var a = Rand.Uniform(rng, m * lda);
        var w = Rand.Uniform(rng, n * k, 0.05f);
        var bias = Rand.Uniform(rng, n);
        var c = Enumerable.Repeat(42f, m * ldc).ToArray();
        Gemm.Multiply(a, lda, m, PackedMatrix.FromOutputRows(w, n, k), c, ldc, bias, Activation.Gelu, parallel: false, path);
        var (want, mag) = Reference(a, lda, m, w, n, k, bias);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double expected = Ref64.Gelu(want[i * n + j]), got = c[i * ldc + j];
                Assert.True(Math.Abs(got - expected) <= 4e-6 * mag[i * n + j] + 2e-6, $"C[{i},{j}] = {got}, want {expected}");
            }
            Assert.Equal(42f, c[i * ldc + n]);
        }
    }

    [Fact]
    public void EveryPathAndRowBlockGivesTheSameBits()
    {
        // Each element is one FMA chain over k in order in every kernel, so the instruction set, the row
        // block a row lands in and the K blocking leave no trace in the result.
        var rng = new Random(9);
        int m = 23, k = 1000, n = 327; // K blocked; one call in panel groups of two, the other in groups of one
        var a = Rand.Uniform(rng, m * k);
        var packed = PackedMatrix.FromOutputRows(Rand.Uniform(rng, n * k), n, k);
        var bias = Rand.Uniform(rng, n);
        var whole = new float[m * n];
        Gemm.Multiply(a, k, m, packed, whole, n, bias, Activation.None, parallel: true, GemmPaths.Best);
        foreach (var path in Enum.GetValues<GemmPath>().Where(GemmPaths.IsSupported))
        {
            var rowByRow = new float[m * n];
            for (int i = 0; i < m; i++)
                Gemm.Multiply(a.AsSpan(i * k), k, 1, packed, rowByRow.AsSpan(i * n), n, bias, Activation.None, parallel: false, path);
            Assert.Equal(whole, rowByRow);
        }
    }

    [Fact]
    public void InputRowPackingEqualsOutputRowPackingOfTheTranspose()
    {
        var rng = new Random(3);
        int k = 37, n = 70;
        var b = Rand.Uniform(rng, k * n); // [K, N]
        var bt = new float[n * k];
        for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
        var x = Rand.Uniform(rng, 4 * k);
        var c1 = new float[4 * n];
        var c2 = new float[4 * n];
        Gemm.Multiply(x, k, 4, PackedMatrix.FromInputRows(b, k, n, n), c1, n);
        Gemm.Multiply(x, k, 4, PackedMatrix.FromOutputRows(bt, n, k), c2, n);
        Assert.Equal(c1, c2);
    }

    [Theory]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.QuickGelu)]
    public void FusedActivationMatchesReference(Activation activation)
    {
        var rng = new Random(4);
        int m = 8, k = 48, n = 100;
        var a = Rand.Uniform(rng, m * k);
        var w = Rand.Uniform(rng, n * k, 0.5f);
        var bias = Rand.Uniform(rng, n);
        var c = new float[m * n];
        Gemm.Multiply(a, k, m, PackedMatrix.FromOutputRows(w, n, k), c, n, bias, activation);
        var (want, mag) = Reference(a, k, m, w, n, k, bias);
        for (int i = 0; i < want.Length; i++)
        {
            double expected = activation == Activation.Gelu ? Ref64.Gelu(want[i]) : Ref64.QuickGelu(want[i]);
            Assert.True(Math.Abs(c[i] - expected) <= 4e-6 * mag[i] + 2e-6, $"element {i}: {c[i]} vs {expected}");
        }
    }

    [Fact]
    public void ResultDoesNotDependOnThreadCount()
    {
        var rng = new Random(5);
        int m = 197, k = 1600, n = 200; // K blocks, a ragged last panel and row block
        var a = Rand.Uniform(rng, m * k);
        var packed = PackedMatrix.FromOutputRows(Rand.Uniform(rng, n * k), n, k);
        var serial = new float[m * n];
        var parallel = new float[m * n];
        Gemm.Multiply(a, k, m, packed, serial, n, parallel: false);
        // More threads than cores still splits the work differently.
        ThreadCountCollection.With(7, () => { Gemm.Multiply(a, k, m, packed, parallel, n, parallel: true); return 0; });
        Assert.Equal(serial, parallel);
    }

    [Fact]
    public void RejectsBuffersThatAreTooSmall()
    {
        var packed = PackedMatrix.FromOutputRows(new float[8 * 4], 8, 4);
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[7], 4, 2, packed, new float[16], 8));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[8], 4, 2, packed, new float[15], 8));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[8], 4, 2, packed, new float[16], 8, new float[3]));
    }
}
