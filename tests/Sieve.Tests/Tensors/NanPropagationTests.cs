using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Sieve.Tensors;

namespace Sieve.Tests.Tensors;

/// <summary>
/// A NaN going into a kernel comes out as NaN: a kernel that turns it into a plausible number hides a broken
/// model behind finite output (the vectorised exp once clamped NaN to its range bound). Positions cover the
/// whole vectors and the scalar tail of every width.
/// </summary>
public class NanPropagationTests
{
    static readonly int[] Lengths = [1, 7, 16, 37, 197];

    static float[] Row(int n, int seed) => Enumerable.Range(0, n).Select(i => MathF.Sin(seed + 1.7f * i) * 3f).ToArray();

    static void AssertNaNExactlyAt(float[] y, int at, string what)
    {
        for (int i = 0; i < y.Length; i++)
            Assert.True(float.IsNaN(y[i]) == (i == at), $"{what}: element {i} = {y[i]} with NaN put at {at}");
    }

    static IEnumerable<(int N, int At)> Positions() =>
        Lengths.SelectMany(n => new[] { 0, n / 2, n - 1 }.Distinct().Select(at => (n, at)));

    [Fact]
    public void ExpOfNaNIsNaNInEveryLaneAndWidth()
    {
        static void Check<TV>(Func<float[], TV> load, Func<TV, float[]> store) where TV : IFloatVector<TV>
        {
            for (int lane = 0; lane < TV.Count; lane++)
            {
                var x = Enumerable.Range(0, TV.Count).Select(i => i - 3f).ToArray();
                x[lane] = float.NaN;
                var y = store(FloatVector.Exp(load(x)));
                for (int i = 0; i < TV.Count; i++)
                    if (i == lane) Assert.True(float.IsNaN(y[i]), $"{typeof(TV).Name} lane {lane}: exp(NaN) = {y[i]}");
                    else Assert.Equal(MathF.Exp(x[i]), y[i], 1e-6f * MathF.Exp(x[i]));
            }
        }
        Check(x => new F128(Vector128.Create(x)), Lanes);
        if (Vector256.IsHardwareAccelerated) Check(x => new F256(Vector256.Create(x)), Lanes);
        if (Vector512.IsHardwareAccelerated) Check(x => new F512(Vector512.Create(x)), Lanes);
    }

    // The wrappers hold exactly one vector, so their bytes are the lanes.
    static float[] Lanes<TV>(TV v) where TV : unmanaged => MemoryMarshal.Cast<TV, float>(new[] { v }).ToArray();

    [Fact]
    public void SoftmaxOfARowWithNaNIsNaN()
    {
        foreach (var (n, at) in Positions())
        {
            var y = Row(n, at);
            y[at] = float.NaN;
            Softmax.InPlace(y);
            Assert.True(y.All(float.IsNaN), $"softmax of {n} values with NaN at {at}: [{string.Join(", ", y)}]");
        }
    }

    [Fact]
    public void GeluAndQuickGeluKeepNaNWhereItIs()
    {
        foreach (var (n, at) in Positions())
            foreach (var (name, apply) in new (string, Action<float[]>)[] { ("gelu", x => Activations.Gelu(x)), ("quickgelu", x => Activations.QuickGelu(x)) })
            {
                var y = Row(n, at);
                y[at] = float.NaN;
                apply(y);
                AssertNaNExactlyAt(y, at, $"{name}, {n} values");
            }
    }

    [Fact]
    public void LayerNormOfARowWithNaNIsNaNAndOtherRowsAreNot()
    {
        const int rows = 3;
        foreach (int d in Lengths)
            for (int at = 0; at < d; at += Math.Max(1, d / 3))
            {
                var x = Row(rows * d, d + at);
                x[d + at] = float.NaN; // row 1
                var y = new float[rows * d];
                LayerNormKernel.Apply(x, y, rows, Enumerable.Repeat(1f, d).ToArray(), new float[d], 1e-6f);
                for (int i = 0; i < y.Length; i++)
                    Assert.True(float.IsNaN(y[i]) == (i / d == 1), $"d={d}, NaN at row 1 column {at}: y[{i}] = {y[i]}");
            }
    }
}
