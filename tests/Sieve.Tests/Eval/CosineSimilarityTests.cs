using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>Cosines in double against values known exactly.</summary>
public sealed class CosineSimilarityTests
{
    [Fact]
    public void MatrixHoldsEveryRowAgainstEveryColumn()
    {
        // Images (1,0) and (3,4); texts (2,0), (0,5), (4,3): cosines 1, 0, 4/5 and 3/5, 4/5, 24/25.
        var m = CosineSimilarity.Matrix([[1, 0], [3, 4]], [[2, 0], [0, 5], [4, 3]]);
        double[,] expected = { { 1, 0, 0.8 }, { 0.6, 0.8, 0.96 } };
        Assert.Equal(2, m.GetLength(0));
        Assert.Equal(3, m.GetLength(1));
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(expected[i, j], m[i, j], 12);
        Assert.Equal(-1.0, CosineSimilarity.Of([1, 2], [-2, -4]), 12);
    }

    [Fact]
    public void ZeroWidthMismatchAndZeroVectorsAreRefused()
    {
        Assert.Contains("image embeddings have 2 values but text embeddings 3",
            Assert.Throws<ArgumentException>(() => CosineSimilarity.Matrix([[1, 0]], [[1, 0, 0]], "image", "text")).Message);
        Assert.Contains("text 1 has 3 values but text 0 has 2",
            Assert.Throws<ArgumentException>(() => CosineSimilarity.Matrix([[1, 0]], [[1, 0], [1, 0, 0]], "image", "text")).Message);
        Assert.Contains("image 0 has norm 0",
            Assert.Throws<ArgumentException>(() => CosineSimilarity.Matrix([[0, 0]], [[1, 0]], "image", "text")).Message);
    }
}
