using Sieve.Fitting;
using Sieve.Tests.Reference;
using static Sieve.Tests.Fitting.FiniteDifferences;

namespace Sieve.Tests.Fitting;

/// <summary>Every hand-written gradient of the fitting code against central finite differences in float64.</summary>
public class GradientCheckTests
{
    const double Tolerance = 1e-4;

    static NormProjection Head(Random rng, int d, int p, bool bias) =>
        new(Normal(rng, d, 0.3).Select(v => 1 + v).ToArray(), Normal(rng, d, 0.1), 1e-5, Normal(rng, p * d, 0.3), bias ? Normal(rng, p, 0.1) : null);

    [Fact]
    public void NormProjectionForwardMatchesTheFloat64Reference()
    {
        var rng = new Random(1);
        double[] gamma = Normal(rng, 7), beta = Normal(rng, 7), w = Normal(rng, 5 * 7), b = Normal(rng, 5), h = Normal(rng, 7, 3);
        var z = new NormProjection(gamma, beta, 1e-6, w, b).Forward(h);
        var want = Ref64.Linear(Ref64.LayerNorm(h, 1, gamma, beta, 1e-6), 1, w, b, 7, 5);
        Assert.True(RelativeError(z, want) < 1e-13);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NormProjectionBackward(bool bias)
    {
        var rng = new Random(2);
        var head = Head(rng, 12, 6, bias);
        double[] h = Normal(rng, 12, 2), c = Normal(rng, 6);
        // L = c·z, so dL/dz = c.
        var dh = new double[12];
        head.Backward(h, c, dh);
        var numeric = Gradient(x => head.Forward(x).Select((z, i) => z * c[i]).Sum(), h);
        Assert.True(RelativeError(dh, numeric) < Tolerance, $"relative error {RelativeError(dh, numeric)}");
    }

    [Fact]
    public void CrossEntropyGradient()
    {
        var z = Normal(new Random(3), 9, 2);
        var g = new double[9];
        double loss = SoftmaxLosses.CrossEntropy(z, 4, g);
        var numeric = Gradient(x => SoftmaxLosses.CrossEntropy(x, 4, new double[9]), z);
        Assert.True(RelativeError(g, numeric) < Tolerance);
        Assert.Equal(Math.Log(z.Sum(Math.Exp)) - z[4], loss, 12);
    }

    [Fact]
    public void JensenShannonGradientOnBothSides()
    {
        var rng = new Random(4);
        double[] a = Normal(rng, 8, 2), b = Normal(rng, 8, 2), ga = new double[8], gb = new double[8];
        double js = SoftmaxLosses.JensenShannon(a, b, ga, gb);
        Assert.InRange(js, 1e-6, Math.Log(2));
        Assert.True(RelativeError(ga, Gradient(x => SoftmaxLosses.JensenShannon(x, b, new double[8], new double[8]), a)) < Tolerance);
        Assert.True(RelativeError(gb, Gradient(x => SoftmaxLosses.JensenShannon(a, x, new double[8], new double[8]), b)) < Tolerance);
        Assert.Equal(0, SoftmaxLosses.JensenShannon(a, a, ga, gb), 12);
        Assert.Equal(js, SoftmaxLosses.JensenShannon(b, a, gb, ga), 12);
    }

    [Fact]
    public void ClassLossThroughNormAndHead()
    {
        var rng = new Random(5);
        var head = Head(rng, 10, 7, bias: true);
        var h = Normal(rng, 10, 2);
        var dz = new double[7];
        SoftmaxLosses.CrossEntropy(head.Forward(h), 3, dz);
        var dh = new double[10];
        head.Backward(h, dz, dh);
        var numeric = Gradient(x => SoftmaxLosses.CrossEntropy(head.Forward(x), 3, new double[7]), h);
        Assert.True(RelativeError(dh, numeric) < Tolerance);
    }

    [Fact]
    public void PairLossThroughBothTowersHeads()
    {
        var rng = new Random(6);
        var vision = Head(rng, 10, 6, bias: false);
        var text = Head(rng, 8, 6, bias: false);
        double[] hv = Normal(rng, 10, 2), ht = Normal(rng, 8, 2), dzv = new double[6], dzt = new double[6], dhv = new double[10], dht = new double[8];
        SoftmaxLosses.JensenShannon(vision.Forward(hv), text.Forward(ht), dzv, dzt);
        vision.Backward(hv, dzv, dhv);
        text.Backward(ht, dzt, dht);
        double Js(double[] v, double[] t) => SoftmaxLosses.JensenShannon(vision.Forward(v), text.Forward(t), new double[6], new double[6]);
        Assert.True(RelativeError(dhv, Gradient(x => Js(x, ht), hv)) < Tolerance);
        Assert.True(RelativeError(dht, Gradient(x => Js(hv, x), ht)) < Tolerance);
    }

    [Fact]
    public void AlignmentLossGradientWithRespectToTokensAndBothTowersMaps()
    {
        var rng = new Random(7);
        const int m = 3, ds = 4, dv = 5, dt = 6, layers = 2;
        // Token counts differ per layer and per tower, as after pruning; one text layer is empty.
        float[][] vision = [Floats(rng, 4 * dv), Floats(rng, 3 * dv)];
        float[][] text = [Floats(rng, 2 * dt), []];
        var tokens = Normal(rng, m * ds);
        var mapsV = Normal(rng, layers * ds * dv, 0.5);
        var mapsT = Normal(rng, layers * ds * dt, 0.5);

        double Loss(double[] s, double[] av, double[] at) =>
            MagAlignment.Loss(MagAlignment.Features(vision, av, s, m), MagAlignment.Features(text, at, s, m), ds, new double[m * ds], new double[m * ds]);

        var fv = MagAlignment.Features(vision, mapsV, tokens, m);
        var ft = MagAlignment.Features(text, mapsT, tokens, m);
        double[] dFv = new double[m * ds], dFt = new double[m * ds], dS = new double[m * ds], dAv = new double[mapsV.Length], dAt = new double[mapsT.Length];
        double loss = MagAlignment.Loss(fv, ft, ds, dFv, dFt);
        Assert.InRange(loss, 0, 2);
        MagAlignment.Backward(vision, mapsV, tokens, m, dFv, dS, dAv);
        MagAlignment.Backward(text, mapsT, tokens, m, dFt, dS, dAt);

        Assert.True(RelativeError(dS, Gradient(s => Loss(s, mapsV, mapsT), tokens)) < Tolerance);
        Assert.True(RelativeError(dAv, Gradient(a => Loss(tokens, a, mapsT), mapsV)) < Tolerance);
        Assert.True(RelativeError(dAt, Gradient(a => Loss(tokens, mapsV, a), mapsT)) < Tolerance);
    }

    [Fact]
    public void AlignmentFeaturesMatchTheDefinition()
    {
        var rng = new Random(8);
        const int m = 2, ds = 3, d = 4, n = 5;
        float[][] x = [Floats(rng, n * d)];
        var tokens = Normal(rng, m * ds);
        var map = Normal(rng, ds * d);
        var f = MagAlignment.Features(x, map, tokens, m);
        // F[m] = Σ_n softmax_n(X̃[n]·S[m]/√D_s) X̃[n] with X̃ = X·Aᵀ, written out with Ref64.
        var mapped = Ref64.Linear(Ref64.ToDouble(x[0]), n, map, null, d, ds);
        var q = Ref64.Linear(mapped, n, tokens, null, ds, m);
        for (int k = 0; k < m; k++)
        {
            var w = Enumerable.Range(0, n).Select(t => q[t * m + k] / Math.Sqrt(ds)).ToArray();
            Ref64.SoftmaxInPlace(w, 0, n);
            for (int s = 0; s < ds; s++)
                Assert.Equal(Enumerable.Range(0, n).Sum(t => w[t] * mapped[t * ds + s]), f[k * ds + s], 12);
        }
    }

    static float[] Floats(Random rng, int n) => Normal(rng, n).Select(v => (float)v).ToArray();
}
