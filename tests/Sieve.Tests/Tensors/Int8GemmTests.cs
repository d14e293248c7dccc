using Sieve.Tensors;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;

namespace Sieve.Tests.Tensors;

[Collection(ThreadCountCollection.Name)]
public class Int8GemmTests
{
    static readonly (int M, int K, int N)[] RaggedShapes =
        [(1, 1, 1), (5, 3, 17), (6, 4, 16), (7, 100, 33), (13, 17, 130), (197, 768, 40), (11, 197, 200), (4, 9, 15), (8, 3073, 20)];

    [Fact]
    public void EveryPathHasADataRow() =>
        Assert.Equal(Enum.GetValues<Int8GemmPath>(), new[] { Int8GemmPath.Scalar, Int8GemmPath.Avx2, Int8GemmPath.AvxVnni, Int8GemmPath.Avx512Vnni }); // the rows below

    // Σ_k qa·qw in 64-bit integers from the quantized values one by one.
    static long[] ExactSums(QuantizedRows a, Int8Matrix w)
    {
        var sums = new long[a.Rows * w.N];
        for (int i = 0; i < a.Rows; i++)
            for (int j = 0; j < w.N; j++)
            {
                long s = 0;
                for (int p = 0; p < w.K; p++) s += a.Values[i * a.Stride + p] * (long)w.Weight(j, p);
                sums[i * w.N + j] = s;
            }
        return sums;
    }

    [Theory]
    [GemmPathData(Int8GemmPath.Scalar)]
    [GemmPathData(Int8GemmPath.Avx2)]
    [GemmPathData(Int8GemmPath.AvxVnni)]
    [GemmPathData(Int8GemmPath.Avx512Vnni)]
    public void Int32SumsAreExactOnRaggedShapes(Int8GemmPath path)
    {
        var rng = new Random(1);
        foreach (var (m, k, n) in RaggedShapes)
        {
            var w = Int8Matrix.FromOutputRows(Rand.Uniform(rng, n * k), n, k);
            using var a = QuantizedRows.Quantize(Rand.Normal(rng, m * k), k, m, k, parallel: true);
            var c = new int[m * n];
            Int8Gemm.Accumulate(a, w, c, n, parallel: true, path);
            var want = ExactSums(a, w);
            for (int i = 0; i < c.Length; i++) Assert.True(want[i] == c[i], $"{m}×{k}×{n}: C[{i / n},{i % n}] = {c[i]}, exact {want[i]}");
        }
    }

    [Theory]
    [GemmPathData(Int8GemmPath.Avx512Vnni)]
    public void WideKernelGivesTheAvxVnniKernelsInt32Sums(Int8GemmPath path)
    {
        // Ragged in every direction the 512-bit kernel cuts: 1–3 leftover panels of a 4-panel call, partial
        // panels, rows short of a block, K not a multiple of 4, and groups split across threads; on 1 and 2 threads.
        var narrowPath = Int8GemmPaths.IsSupported(Int8GemmPath.AvxVnni) ? Int8GemmPath.AvxVnni : Int8GemmPath.Scalar;
        var rng = new Random(8);
        foreach (var (m, k, n) in RaggedShapes.Concat([(19, 770, 65), (6, 64, 48), (25, 33, 97), (197, 768, 2304)]))
        {
            var w = Int8Matrix.FromOutputRows(Rand.Uniform(rng, n * k), n, k);
            using var a = QuantizedRows.Quantize(Rand.Normal(rng, m * k), k, m, k, parallel: true);
            int[] Sums(int threads, Int8GemmPath p) => ThreadCountCollection.With(threads, () =>
            {
                var c = new int[m * n];
                Int8Gemm.Accumulate(a, w, c, n, parallel: true, p);
                return c;
            });
            var narrow = Sums(1, narrowPath);
            Assert.Equal(narrow, Sums(2, path));
            Assert.Equal(narrow, Sums(1, path));
        }
    }

    [Theory]
    [GemmPathData(Int8GemmPath.Scalar)]
    [GemmPathData(Int8GemmPath.Avx2)]
    [GemmPathData(Int8GemmPath.AvxVnni)]
    [GemmPathData(Int8GemmPath.Avx512Vnni)]
    public void ExtremeProductsDoNotSaturate(Int8GemmPath path)
    {
        // 255 × ±127 everywhere: vpmaddubsw's 16-bit pair sums (2·255·127 > 32767) would clip these.
        int m = 7, k = 3001, n = 18;
        var weights = new float[n * k];
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) weights[j * k + p] = j % 3 == 0 ? 1f : j % 3 == 1 ? -1f : (p % 2 == 0 ? 1f : -1f);
        var w = Int8Matrix.FromOutputRows(weights, n, k);
        using var a = new QuantizedRows(m, k);
        a.Values.Fill(255);
        var c = new int[m * n];
        Int8Gemm.Accumulate(a, w, c, n, parallel: false, path);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(j % 3 == 0 ? 255 * 127 * k : j % 3 == 1 ? -255 * 127 * k : 255 * 127, c[i * n + j]);
    }

    // The float64 value of the quantized product: Σ_k sa·(qa − zp) · sw·qw + bias, from the quantized values.
    static double[] QuantizedReference(QuantizedRows a, Int8Matrix w, float[]? bias)
    {
        var y = new double[a.Rows * w.N];
        for (int i = 0; i < a.Rows; i++)
            for (int j = 0; j < w.N; j++)
            {
                double s = 0;
                for (int p = 0; p < w.K; p++) s += (double)a.Scales[i] * (a.Values[i * a.Stride + p] - a.ZeroPoints[i]) * ((double)w.Scales[j] * w.Weight(j, p));
                y[i * w.N + j] = s + (bias?[j] ?? 0);
            }
        return y;
    }

    [Theory]
    [GemmPathData(Int8GemmPath.Scalar)]
    [GemmPathData(Int8GemmPath.Avx2)]
    [GemmPathData(Int8GemmPath.AvxVnni)]
    [GemmPathData(Int8GemmPath.Avx512Vnni)]
    public void FloatOutputMatchesTheQuantizedArithmetic(Int8GemmPath path)
    {
        // The epilogue rounds three times (int → float, sa·sw, one FMA): a few float32 ulps of |y| and the bias.
        var rng = new Random(2);
        foreach (var (m, k, n) in RaggedShapes)
        {
            var x = Rand.Normal(rng, m * k);
            var weights = Rand.Uniform(rng, n * k, 0.1f);
            var bias = Rand.Uniform(rng, n);
            var w = Int8Matrix.FromOutputRows(weights, n, k);
            var c = new float[m * n];
            Int8Gemm.Multiply(x, k, m, w, c, n, bias, Activation.None, parallel: true, path);
            using var a = QuantizedRows.Quantize(x, k, m, k, parallel: false);
            var want = QuantizedReference(a, w, bias);
            for (int i = 0; i < c.Length; i++)
            {
                double tol = 4e-7 * (Math.Abs(want[i] - bias[i % n]) + Math.Abs(bias[i % n])) + 1e-9;
                Assert.True(Math.Abs(c[i] - want[i]) <= tol, $"{m}×{k}×{n}: C[{i / n},{i % n}] = {c[i]}, quantized reference {want[i]} (tol {tol:g3})");
            }
        }
    }

    [Theory]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.QuickGelu)]
    public void FusedActivationFollowsTheBias(Activation activation)
    {
        var rng = new Random(3);
        int m = 9, k = 70, n = 45, lda = 75, ldc = 50;
        var x = Rand.Normal(rng, m * lda);
        var w = Int8Matrix.FromOutputRows(Rand.Uniform(rng, n * k, 0.3f), n, k);
        var bias = Rand.Uniform(rng, n);
        var c = Enumerable.Repeat(42f, m * ldc).ToArray();
        Int8Gemm.Multiply(x, lda, m, w, c, ldc, bias, activation);
        var packedX = new float[m * k];
        for (int i = 0; i < m; i++) x.AsSpan(i * lda, k).CopyTo(packedX.AsSpan(i * k));
        using var a = QuantizedRows.Quantize(packedX, k, m, k, parallel: false);
        var want = QuantizedReference(a, w, bias);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double pre = want[i * n + j], expected = activation == Activation.Gelu ? Ref64.Gelu(pre) : Ref64.QuickGelu(pre);
                Assert.True(Math.Abs(c[i * ldc + j] - expected) <= 2e-6 * (Math.Abs(pre) + 1), $"C[{i},{j}] = {c[i * ldc + j]}, want {expected}");
            }
            for (int j = n; j < ldc; j++) Assert.Equal(42f, c[i * ldc + j]);
        }
    }

    [Fact]
    public void OutputIsWithinTheQuantizationErrorOfTheFloatProduct()
    {
        // Each term's error is bounded by the two rounding errors: |a·w − â·ŵ| ≤ |a|·sw/2 + |ŵ|·sa/2.
        var rng = new Random(4);
        int m = 20, k = 300, n = 50;
        var x = Rand.Normal(rng, m * k);
        var weights = Rand.Normal(rng, n * k, 0.05f);
        var w = Int8Matrix.FromOutputRows(weights, n, k);
        var c = new float[m * n];
        Int8Gemm.Multiply(x, k, m, w, c, n);
        using var a = QuantizedRows.Quantize(x, k, m, k, parallel: false);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double exact = 0, bound = 0;
                for (int p = 0; p < k; p++)
                {
                    exact += (double)x[i * k + p] * weights[j * k + p];
                    bound += Math.Abs(x[i * k + p]) * w.Scales[j] / 2 + Math.Abs(w.Scales[j] * w.Weight(j, p)) * a.Scales[i] / 2;
                }
                Assert.True(Math.Abs(c[i * n + j] - exact) <= bound * 1.001 + 1e-5, $"C[{i},{j}] = {c[i * n + j]}, float product {exact}, bound {bound}");
            }
    }

    [Fact]
    public void ActivationQuantizationRoundTrips()
    {
        var rng = new Random(5);
        int m = 6, k = 77;
        var x = Rand.Normal(rng, m * k, 3f);
        x[5] = 0f;
        for (int p = 0; p < k; p++) x[k + p] = Math.Abs(x[k + p]); // a row without negatives: zero point 0
        for (int p = 0; p < k; p++) x[2 * k + p] = -Math.Abs(x[2 * k + p]); // without positives: zero point 255
        Array.Clear(x, 3 * k, k); // all zero
        using var a = QuantizedRows.Quantize(x, k, m, k, parallel: false);
        for (int i = 0; i < m; i++)
        {
            var row = x.AsSpan(i * k, k);
            double min = Math.Min(0, row.ToArray().Min()), max = Math.Max(0, row.ToArray().Max());
            Assert.Equal((max - min) / 255, a.Scales[i], 1e-6 * (max - min) + 1e-12);
            for (int p = 0; p < k; p++)
            {
                double back = a.Scales[i] * ((double)a.Values[i * a.Stride + p] - a.ZeroPoints[i]);
                Assert.True(Math.Abs(back - row[p]) <= a.Scales[i] * 0.5001, $"row {i}, k {p}: {row[p]} came back as {back} (scale {a.Scales[i]})");
            }
            for (int p = k; p < a.Stride; p++) Assert.Equal(0, a.Values[i * a.Stride + p]);
        }
        Assert.Equal(a.ZeroPoints[0], a.Values[5]); // 0 is exact
        Assert.Equal(0, a.ZeroPoints[1]);
        Assert.Equal(255, a.ZeroPoints[2]);
        Assert.Equal(0f, a.Scales[3]);
    }

    [Fact]
    public void LongRowsQuantizeToTheScalarFormulaExactly()
    {
        // Rows long enough for the vector bodies (16 and 32 values a step) with ragged tails; row 0 spans [0, 255], so
        // scale 1 and its half-integers are ties that must round to even (2.5 → 2, 3.5 → 4), as MathF.Round does.
        var rng = new Random(8);
        int m = 4, k = 3 * 64 + 37;
        var x = Rand.Normal(rng, m * k, 2f);
        for (int p = 0; p < k; p++) x[p] = p % 2 == 0 ? p % 256 + 0.5f : p % 255;
        (x[0], x[1]) = (255f, 3.5f);
        x[3 * k + 100] = float.NaN; // in the vector body: the whole row's scale is NaN
        using var a = QuantizedRows.Quantize(x, k, m, k, parallel: false);
        Assert.Equal(1f, a.Scales[0]);
        Assert.Equal((2, 4), (a.Values[2], a.Values[1])); // 2.5 and 3.5; the loop below checks every element
        for (int i = 0; i < 3; i++)
        {
            var row = x.AsSpan(i * k, k);
            float min = 0f, max = 0f;
            foreach (var v in row) (min, max) = (Math.Min(min, v), Math.Max(max, v));
            float scale = (max - min) / 255f, inverse = 1f / scale;
            int zeroPoint = (int)Math.Clamp(MathF.Round(-min / scale), 0f, 255f);
            Assert.Equal((scale, zeroPoint), (a.Scales[i], a.ZeroPoints[i]));
            for (int p = 0; p < k; p++)
                Assert.True((byte)Math.Clamp(MathF.Round(row[p] * inverse) + zeroPoint, 0f, 255f) == a.Values[i * a.Stride + p], $"row {i}, k {p}: {row[p]}");
        }
        Assert.True(float.IsNaN(a.Scales[3]));
    }

    [Fact]
    public void WeightQuantizationRoundTrips()
    {
        var rng = new Random(6);
        int n = 20, k = 45;
        var weights = Rand.Normal(rng, n * k, 0.02f);
        Array.Clear(weights, 7 * k, k);
        var w = Int8Matrix.FromOutputRows(weights, n, k);
        for (int j = 0; j < n; j++)
        {
            var row = weights.AsSpan(j * k, k).ToArray();
            double maxAbs = row.Max(Math.Abs);
            Assert.Equal(maxAbs / 127, w.Scales[j], 1e-6 * maxAbs);
            int largest = 0;
            long sum = 0;
            for (int p = 0; p < k; p++)
            {
                int q = w.Weight(j, p);
                Assert.InRange(q, -127, 127);
                Assert.True(Math.Abs((double)w.Scales[j] * q - row[p]) <= w.Scales[j] * 0.5001, $"w[{j},{p}] = {row[p]} came back as {w.Scales[j] * q}");
                largest = Math.Max(largest, Math.Abs(q));
                sum += q;
            }
            Assert.Equal(maxAbs == 0 ? 0 : 127, largest);
            Assert.Equal(sum, w.ColumnSums[j]);
        }
    }

    [Fact]
    public void NanInARowMakesThatRowNan()
    {
        int m = 3, k = 10, n = 5;
        var x = Enumerable.Range(0, m * k).Select(i => i * 0.1f).ToArray();
        x[k + 4] = float.NaN;
        var c = new float[m * n];
        Int8Gemm.Multiply(x, k, m, Int8Matrix.FromOutputRows(Enumerable.Repeat(0.5f, n * k).ToArray(), n, k), c, n);
        for (int j = 0; j < n; j++)
        {
            Assert.True(float.IsNaN(c[n + j]), $"C[1,{j}] = {c[n + j]}");
            Assert.False(float.IsNaN(c[j]) || float.IsNaN(c[2 * n + j]));
        }
    }

    [Fact]
    public void EveryPathThreadCountAndSplitGivesTheSameBits()
    {
        // Exact integer sums and an element-wise epilogue: neither the instruction set, the thread count nor
        // the row a token lands in leaves a trace.
        var rng = new Random(7);
        int m = 197, k = 768, n = 200;
        var x = Rand.Normal(rng, m * k);
        var w = Int8Matrix.FromOutputRows(Rand.Uniform(rng, n * k, 0.05f), n, k);
        var bias = Rand.Uniform(rng, n);
        float[] Run(int threads, Int8GemmPath path) => ThreadCountCollection.With(threads, () =>
        {
            var c = new float[m * n];
            Int8Gemm.Multiply(x, k, m, w, c, n, bias, Activation.Gelu, parallel: true, path);
            return c;
        });
        var one = Run(1, Int8GemmPaths.Best);
        Assert.Equal(one, Run(2, Int8GemmPaths.Best));
        Assert.Equal(one, Run(7, Int8GemmPaths.Best));
        foreach (var path in Enum.GetValues<Int8GemmPath>().Where(Int8GemmPaths.IsSupported))
        {
            var rowByRow = new float[m * n];
            for (int i = 0; i < m; i++)
                Int8Gemm.Multiply(x.AsSpan(i * k), k, 1, w, rowByRow.AsSpan(i * n), n, bias, Activation.Gelu, parallel: false, path);
            Assert.Equal(one, rowByRow);
        }
    }

    [Fact]
    public void RejectsBuffersThatAreTooSmall()
    {
        var w = Int8Matrix.FromOutputRows(new float[8 * 4], 8, 4);
        Assert.Throws<ArgumentException>(() => Int8Gemm.Multiply(new float[7], 4, 2, w, new float[16], 8));
        Assert.Throws<ArgumentException>(() => Int8Gemm.Multiply(new float[8], 4, 2, w, new float[15], 8));
        Assert.Throws<ArgumentException>(() => Int8Gemm.Multiply(new float[8], 4, 2, w, new float[16], 8, new float[3]));
        Assert.Throws<ArgumentException>(() => Int8Matrix.FromOutputRows(new float[31], 8, 4));
        using var rows = new QuantizedRows(2, 5);
        Assert.Throws<ArgumentException>(() => Int8Gemm.Accumulate(rows, w, new int[16], 8, false, Int8GemmPath.Scalar));
    }
}
