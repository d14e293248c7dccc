using Sieve.Tensors;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;

namespace Sieve.Tests.Tensors;

public class ElementwiseKernelTests
{
    [Fact]
    public void ReferenceErfMatchesKnownValues()
    {
        // Values of erf from tables (Abramowitz & Stegun 7.1), to guard the test's own reference.
        Assert.Equal(0.5204998778130465, Ref64.Erf(0.5), 14);
        Assert.Equal(0.8427007929497149, Ref64.Erf(1.0), 14);
        Assert.Equal(0.9953222650189527, Ref64.Erf(2.0), 14);
        Assert.Equal(0.9999779095030014, Ref64.Erf(3.0), 14);
        Assert.Equal(-0.9661051464753108, Ref64.Erf(-1.5), 14);
    }

    [Fact]
    public void GeluMatchesErfDefinition()
    {
        var x = Enumerable.Range(-1200, 2401).Select(i => i / 100f).Concat([-1e4f, -100f, 100f, 1e4f]).ToArray(); // [-12, 12] and beyond exp's clamp; odd length for the tail
        var y = (float[])x.Clone();
        Activations.Gelu(y);
        for (int i = 0; i < x.Length; i++)
        {
            double want = Ref64.Gelu(x[i]);
            Assert.True(Math.Abs(y[i] - want) <= 3e-7 * Math.Max(1, Math.Abs(x[i])) + 1e-7 * Math.Abs(want), $"gelu({x[i]}) = {y[i]}, want {want}");
        }
    }

    [Fact]
    public void QuickGeluMatchesDefinition()
    {
        var x = Enumerable.Range(-1000, 2001).Select(i => i / 50f).Concat([-1e4f, -100f, -60f, 60f, 100f, 1e4f]).ToArray(); // beyond exp's clamp too
        var y = (float[])x.Clone();
        Activations.QuickGelu(y);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(y[i] - Ref64.QuickGelu(x[i])) <= 1e-6 * Math.Max(1, Math.Abs(x[i])), $"quickgelu({x[i]})");
    }

    [Fact]
    public void SoftmaxIsStableAndMatchesReference()
    {
        var rng = new Random(6);
        foreach (int n in new[] { 1, 7, 64, 197 })
        {
            var x = Rand.Uniform(rng, n, 30f);
            x[0] = 1000f; // would overflow a naive exp
            var y = (float[])x.Clone();
            Softmax.InPlace(y);
            var want = Ref64.ToDouble(x);
            Ref64.SoftmaxInPlace(want, 0, n);
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(y[i] - want[i]) <= 1e-6 * want[i] + 1e-9, $"n={n} i={i}");
        }
    }

    [Theory]
    [InlineData(192)] // whole 32-value steps
    [InlineData(200)] // a tail after them in every pass
    [InlineData(7)]   // no vector step at all
    public void LayerNormMatchesReference(int d)
    {
        var rng = new Random(7);
        int rows = 5;
        var x = Rand.Normal(rng, rows * d, 3f, 10f); // large mean tests the two-pass variance
        var g = Rand.Uniform(rng, d);
        var b = Rand.Uniform(rng, d);
        var y = new float[rows * d];
        LayerNormKernel.Apply(x, y, rows, g, b, 1e-6f);
        var want = Ref64.LayerNorm(Ref64.ToDouble(x), rows, Ref64.ToDouble(g), Ref64.ToDouble(b), 1e-6);
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - want[i]) <= 2e-5, $"i={i}: {y[i]} vs {want[i]}");
        LayerNormKernel.Apply(x, x, rows, g, b, 1e-6f); // in place, as blocks call it
        Assert.Equal(y, x);
    }
}
