using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>Cosine statistics on vectors whose cosines are exact, and nearest-neighbour agreement worked by hand.</summary>
public sealed class EmbeddingFidelityTests
{
    [Fact]
    public void CosineMeanPercentileAndWorstOnExactAngles()
    {
        // (reduced, dense) per item and cos exactly: parallel (scaled) 1; orthogonal 0; 60° 1/2;
        // (3,4)·(4,3) = 24 / 25; (1,2,2)·(2,1,2) = 8 / 9; orthogonal again 0 (a tie for the worst: item 1 is named).
        float[][] reduced = [[2, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [3, 4, 0, 0], [1, 2, 2, 0], [0, 0, 1, 0]];
        float[][] dense = [[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [4, 3, 0, 0], [2, 1, 2, 0], [0, 0, 0, 1]];
        var f = EmbeddingFidelity.Measure(reduced, dense);
        Assert.Equal(6, f.Items);
        Assert.Equal((1 + 0 + 0.5 + 24.0 / 25 + 8.0 / 9 + 0) / 6, f.MeanCosine, 12);
        Assert.Equal(0.0, f.WorstCosine, 12);
        Assert.Equal(1, f.WorstItem);
        Assert.Equal(0.0, f.Percentile5Cosine, 12); // n = 6: rank ⌈0.3⌉ = 1, the smallest
    }

    /// <summary>n items: item 0 at cos −1, item 1 at cos 0, the rest at cos 1 (each along its own axis of 2n).</summary>
    static (float[][] Reduced, float[][] Dense) MinusOneZeroThenOnes(int n)
    {
        float[] Axis(int k, float sign = 1) { var v = new float[2 * n]; v[k] = sign; return v; }
        var reduced = Enumerable.Range(0, n).Select(i => Axis(i)).ToArray();
        var dense = Enumerable.Range(0, n).Select(i => i switch { 0 => Axis(0, -1), 1 => Axis(n + 1), _ => Axis(i) }).ToArray();
        return (reduced, dense);
    }

    [Theory]
    [InlineData(20, -1.0)] // nearest rank ⌈0.05 · 20⌉ = 1: the smallest, −1
    [InlineData(21, 0.0)]  // ⌈0.05 · 21⌉ = ⌈1.05⌉ = 2: the second smallest, 0
    [InlineData(40, 0.0)]  // ⌈2⌉ = 2
    [InlineData(41, 1.0)]  // ⌈2.05⌉ = 3: the third smallest, 1
    public void FifthPercentileIsTheNearestRank(int n, double expected)
    {
        var (reduced, dense) = MinusOneZeroThenOnes(n);
        var f = EmbeddingFidelity.Measure(reduced, dense);
        Assert.Equal(expected, f.Percentile5Cosine, 12);
        Assert.Equal(-1.0, f.WorstCosine, 12);
        Assert.Equal(0, f.WorstItem);
        Assert.Equal((n - 3.0) / n, f.MeanCosine, 12); // −1 + 0 + (n − 2) · 1
    }

    // Twelve unit vectors in the xy-plane at these angles (degrees): no angle is halfway between two others, so each
    // item's neighbours are ordered by angular distance without ties.
    static readonly int[] Degrees = [0, 1, 3, 4, 9, 10, 12, 13, 27, 28, 30, 31];

    static float[] At(double degrees) => [(float)Math.Cos(degrees * Math.PI / 180), (float)Math.Sin(degrees * Math.PI / 180), 0];

    [Fact]
    public void NeighbourAgreementWhenOneItemMovesAway()
    {
        // Reduced = dense except item 4 (9°), moved to the z axis: cos 0 with everything (the rest have cos > 0).
        // Dense nearest: 0→1 1→0 2→3 3→2 4→5 5→4 6→7 7→6 8→9 9→8 10→11 11→10; farthest: 11 for items 0-7, 0 for 8-11.
        // Reduced, item q ≠ 4: same order with 4 last. Top-1 changes only where 4 was nearest: item 5 (now 6).
        //   Its top 10 of 11 others drop 4, dense's drop the farthest (0 or 11, never 4): 9 of 10 shared.
        // Item 4, reduced: all cosines 0, so ties: 0 1 2 3 5 6 7 8 9 10 (11 left out) → first 0, dense first 5: differs.
        //   Dense top 10 of item 4 leaves out its farthest, 11: the same set, 10 of 10.
        // Top-1: 10/12. Overlap: (11 · 0.9 + 1) / 12. Cosines: 1 for 11 items, 0 for item 4.
        var dense = Degrees.Select(d => At(d)).ToArray();
        var reduced = dense.Select((v, i) => i == 4 ? new float[] { 0, 0, 1 } : v).ToArray();
        var f = EmbeddingFidelity.Measure(reduced, dense);
        Assert.Equal(12, f.Neighbours.Queries);
        Assert.Equal(10.0 / 12, f.Neighbours.Top1, 12);
        Assert.Equal((11 * 0.9 + 1) / 12, f.Neighbours.OverlapAt10, 12);
        Assert.Equal(11.0 / 12, f.MeanCosine, 6);
        Assert.Equal(4, f.WorstItem);
        Assert.Equal(0.0, f.WorstCosine, 12);

        var same = EmbeddingFidelity.Measure(dense, dense);
        Assert.Equal((1.0, 1.0), (same.Neighbours.Top1, same.Neighbours.OverlapAt10));
    }

    [Fact]
    public void BadInputIsRefusedWithTheReason()
    {
        string Error(float[][] r, float[][] d) => Assert.Throws<ArgumentException>(() => EmbeddingFidelity.Measure(r, d)).Message;
        Assert.Contains("2 reduced embeddings but 1 dense", Error([[1], [1]], [[1]]));
        Assert.Contains("1 item(s): nearest neighbours need at least 2", Error([[1]], [[1]]));
        Assert.Contains("item 1: first vector has norm 0", Error([[1, 0], [0, 0]], [[1, 0], [1, 0]]));
        Assert.Contains("item 0: second vector has norm NaN", Error([[1, 0], [1, 0]], [[float.NaN, 0], [1, 0]]));
        Assert.Contains("item 1: vectors of 2 and 3 values", Error([[1, 0], [1, 0]], [[1, 0], [1, 0, 0]]));
    }
}
