using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Tests.Reduction;

/// <summary>
/// Cross-attention to a merged context honours token sizes (ALGORITHMS.md, "Proportional attention"): text queries over
/// image tokens [c, x, x, y] equal, row for row, the same queries over [c, x (size 2), y] as a reducer leaves them.
/// </summary>
public class CrossAttentionSizeTests
{
    const int Width = 12, ContextWidth = 16, Heads = 3;

    [Fact]
    public void AContextTokenOfSizeTwoWeighsAsItsTwoCopies()
    {
        var rng = new Random(21);
        Linear Random(int inF, int outF) => new(Support.Rand.Normal(rng, inF * outF, 0.4f), Support.Rand.Normal(rng, outF, 0.1f), inF, outF);
        var cross = new CrossAttention(Random(Width, Width), Random(ContextWidth, 2 * Width), Random(Width, Width), Heads);
        var queries = Support.Rand.Normal(rng, 4 * Width);
        var tokens = Support.Rand.Normal(rng, 3 * ContextWidth); // c, x, y

        using var dense = new TokenSet(Modality.Image, 4, ContextWidth, 4);
        foreach (var (row, source) in new[] { (0, 0), (1, 1), (2, 1), (3, 2) })
            tokens.AsSpan(source * ContextWidth, ContextWidth).CopyTo(dense.Row(row));
        using var merged = new TokenSet(Modality.Image, 4, ContextWidth, 4);
        dense.Features.CopyTo(merged.Features);
        merged.Apply(MergePlan.FromTargets([0, 1, 1, 3], [1, 1, 1, 1]));
        Assert.Equal([1f, 2f, 1f], merged.Sizes.ToArray());

        var denseOut = new float[4 * Width];
        var mergedOut = new float[4 * Width];
        cross.Forward(queries, 4, TokenContext.Of(dense), denseOut);
        cross.Forward(queries, 4, TokenContext.Of(merged), mergedOut);
        for (int i = 0; i < denseOut.Length; i++) Assert.Equal(denseOut[i], mergedOut[i], 1e-5);
    }
}
