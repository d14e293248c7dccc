using Sieve.Nn;
using Sieve.Tensors;
using Sieve.Tests.Support;

namespace Sieve.Tests.Nn;

/// <summary>
/// A decoder's cache packs each step's keys and values onto what it holds; the result must be what packing every row at
/// once gives, element for element, and multiply the same bit for bit (the GEMM walks a grown value panel by its stride).
/// </summary>
public class KeyValueCacheTests
{
    const int Heads = 2, HeadWidth = 72, Width = Heads * HeadWidth, Stride = 4 * Width, Offset = 2 * Width; // [q (2D); k; v] rows

    /// <summary>Element (k, n) of a packed matrix, wherever its panels lie.</summary>
    static float At(PackedMatrix m, int k, int n) => m.Data[(int)(n / PackedMatrix.PanelWidth * m.PanelStride) + k * PackedMatrix.PanelWidth + n % PackedMatrix.PanelWidth];

    static void AssertSamePacking(PackedMatrix expected, PackedMatrix actual)
    {
        Assert.Equal((expected.K, expected.N), (actual.K, actual.N));
        for (int n = 0; n < expected.Panels * PackedMatrix.PanelWidth; n++) // padding columns included: they must read as zeros
            for (int k = 0; k < expected.K; k++)
                if (At(expected, k, n) != At(actual, k, n)) Assert.Fail($"({k}, {n}): {At(actual, k, n)}, expected {At(expected, k, n)}");
    }

    static float[] Multiply(float[] a, int m, PackedMatrix b)
    {
        var c = new float[m * b.N];
        Gemm.Multiply(a, b.K, m, b, c, b.N);
        return c;
    }

    [Fact]
    public void AppendsPackWhatPackingEveryRowAtOnceGivesAcrossGrowth()
    {
        var rng = new Random(5);
        var rows = new List<float>();
        var cache = new KeyValueCache(Width, Heads);
        int count = 0;
        // A prefill, single decoding steps, chunks; past 768 keys the ·v GEMM is blocked over a panel that has grown.
        foreach (int tokens in new[] { 5, 1, 1, 1, 7, 1, 800, 1 })
        {
            var step = Rand.Uniform(rng, tokens * Stride);
            cache.Append(step, tokens, Stride, Offset);
            rows.AddRange(step);
            count += tokens;
            Assert.Equal(count, cache.Count);
            var all = rows.ToArray();
            for (int h = 0; h < Heads; h++)
            {
                var keys = cache.Packed.Keys[h];
                var values = cache.Packed.Values[h];
                var expectedKeys = new PackedMatrix();
                expectedKeys.PackOutputRows(all.AsSpan(Offset + h * HeadWidth), count, HeadWidth, Stride);
                var expectedValues = PackedMatrix.FromInputRows(all.AsSpan(Offset + Width + h * HeadWidth), count, HeadWidth, Stride);
                AssertSamePacking(expectedKeys, keys);
                AssertSamePacking(expectedValues, values);
                var queries = Rand.Uniform(rng, 3 * HeadWidth);
                Assert.Equal(Multiply(queries, 3, expectedKeys), Multiply(queries, 3, keys));
                var probabilities = Rand.Uniform(rng, 3 * count);
                Assert.Equal(Multiply(probabilities, 3, expectedValues), Multiply(probabilities, 3, values));
            }
        }

        var copy = cache.Clone();
        copy.Append(Rand.Uniform(rng, Stride), 1, Stride, Offset);
        Assert.Equal(count, cache.Count); // the original is untouched
        Assert.Equal(count + 1, copy.Count);
        Assert.Equal(count, cache.Packed.Values[0].K);
        for (int k = 0; k < HeadWidth; k++) Assert.Equal(At(cache.Packed.Keys[1], k, count - 1), At(copy.Packed.Keys[1], k, count - 1));
    }
}
