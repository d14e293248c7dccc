using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;

namespace Sieve.Tests.Reduction;

/// <summary>
/// Proportional attention's exact identity (ALGORITHMS.md, "Proportional attention"): three copies of a
/// token x are, to every query, the same as one x of size 3 with + log 3 on its logits. So attention over
/// [c, x, x, x, y] equals, row for row, attention over [c, x(size 3), y] with the bias; without it the
/// merged x counts once and the rows differ.
/// </summary>
public class ProportionalAttentionTests
{
    const int Width = 16, Heads = 4;
    static readonly int[] Copies = [0, 1, 1, 1, 2]; // row of the dense sequence → row of the merged one

    [Fact]
    public void AttentionOverThreeCopiesEqualsOneTokenOfSizeThreeWithLogSizeBias()
    {
        var rng = new Random(11);
        var attention = new Attention(new Linear(Support.Rand.Normal(rng, 3 * Width * Width, 0.4f), Support.Rand.Normal(rng, 3 * Width, 0.1f), Width, 3 * Width),
            new Linear(Support.Rand.Normal(rng, Width * Width, 0.3f), null, Width, Width), Heads);
        var merged = Support.Rand.Normal(rng, 3 * Width); // c, x, y
        var dense = Expand(merged);

        using var denseCapture = new AttentionCapture(5, Width, Heads, probabilities: true, headOutputs: false);
        using var mergedCapture = new AttentionCapture(3, Width, Heads, probabilities: true, headOutputs: false);
        var denseOut = new float[5 * Width];
        var mergedOut = new float[3 * Width];
        var offOut = new float[3 * Width];
        attention.Forward(dense, 5, denseOut, causal: false, capture: denseCapture);
        attention.Forward(merged, 3, mergedOut, causal: false, keyBias: [0, MathF.Log(3), 0], capture: mergedCapture);
        attention.Forward(merged, 3, offOut, causal: false);

        for (int i = 0; i < 5; i++)
        {
            int m = Copies[i];
            // Keys and values (and queries) are per-token projections: the same rows.
            Assert.Equal(mergedCapture.Qkv.Slice(m * 3 * Width, 3 * Width).ToArray(), denseCapture.Qkv.Slice(i * 3 * Width, 3 * Width).ToArray());
            AssertClose(mergedOut.AsSpan(m * Width, Width), denseOut.AsSpan(i * Width, Width), 1e-5);
            for (int h = 0; h < Heads; h++)
            {
                // The size-3 key takes exactly the probability its three copies share.
                var p = denseCapture.Probabilities.Slice((h * 5 + i) * 5, 5);
                var q = mergedCapture.Probabilities.Slice((h * 3 + m) * 3, 3);
                Assert.Equal(p[0], q[0], 1e-6);
                Assert.Equal(p[1] + p[2] + p[3], q[1], 1e-6);
                Assert.Equal(p[4], q[2], 1e-6);
            }
        }
        // Without the bias the merged x counts once: every row moves (by far more than rounding).
        for (int m = 0; m < 3; m++) Assert.True(MaxDifference(offOut.AsSpan(m * Width, Width), mergedOut.AsSpan(m * Width, Width)) > 1e-2);
    }

    [Fact]
    public void ABlockOverThreeCopiesEqualsABlockOverTheMergedTokenWhenProportionalAttentionIsOn()
    {
        var rng = new Random(12);
        var block = CheckpointReader.Random(13).Block(BlockNames.Timm(0), 0, Width, Heads, 2 * Width, 1e-6f, Activation.Gelu);
        var merged = Support.Rand.Normal(rng, 3 * Width, 1f);
        var tower = new TowerInfo("vision", Modality.Image, 1, Width, Heads);

        using var dense = new TokenSet(Modality.Image, 5, Width, 5);
        Expand(merged).CopyTo(dense.Features);
        block.Forward(dense, 0, causal: false, hook: null);

        // r = 0 reduces nothing in the block: only the proportional bias of the earlier merge acts.
        float[] Merged(bool proportional)
        {
            using var tokens = new TokenSet(Modality.Image, 5, Width, 5);
            Expand(merged).CopyTo(tokens.Features);
            tokens.Apply(MergePlan.FromTargets([0, 1, 1, 1, 4], [1, 1, 1, 1, 1]));
            Assert.Equal([1f, 3f, 1f], tokens.Sizes.ToArray());
            block.Forward(tokens, 0, causal: false, new ToMeReducer(tower, MergeSchedule.Constant(0), proportional));
            return tokens.Features.ToArray();
        }

        var on = Merged(proportional: true);
        var off = Merged(proportional: false);
        for (int i = 0; i < 5; i++) AssertClose(on.AsSpan(Copies[i] * Width, Width), dense.Row(i), 1e-5);
        // Off, the merged x counts once: every row moves, by 100× the tolerance of the identity (0.0024 here).
        for (int m = 0; m < 3; m++) Assert.True(MaxDifference(off.AsSpan(m * Width, Width), on.AsSpan(m * Width, Width)) > 1e-3);
    }

    /// <summary>[c, x, y] → [c, x, x, x, y].</summary>
    static float[] Expand(float[] merged) => Copies.SelectMany(m => merged.AsSpan(m * Width, Width).ToArray()).ToArray();

    static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance) =>
        Assert.True(MaxDifference(expected, actual) <= tolerance, $"rows differ by {MaxDifference(expected, actual)} > {tolerance}");

    static double MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
