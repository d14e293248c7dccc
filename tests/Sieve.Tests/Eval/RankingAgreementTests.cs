using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>Agreement of top lists with the dense model's, counted by hand.</summary>
public sealed class RankingAgreementTests
{
    [Fact]
    public void Top1AndOverlapAreCountedPerQueryAndOverlapIsOverTheListLength()
    {
        // Query 0: same first (1), same set {1, 2, 3} → overlap 3/3. Query 1: first 4 vs 5, sets {4, 5, 6} ∩ {5, 4, 9} = 2 → 2/3.
        // Top-1 = 1/2; overlap = (1 + 2/3) / 2 = 5/6 (lists of 3: three candidates, so K = 10 is clamped to 3).
        var a = RankingAgreement.Of([[1, 2, 3], [4, 5, 6]], [[1, 3, 2], [5, 4, 9]]);
        Assert.Equal(2, a.Queries);
        Assert.Equal(0.5, a.Top1, 15);
        Assert.Equal(5.0 / 6, a.OverlapAt10, 15);
    }

    [Fact]
    public void OnlyTheFirstTenCountAndPoolingWeighsEveryQueryTheSame()
    {
        // Lists of 12: the first ten are 0…9 against 0…8, 11 → 9 of 10 shared; entries 11 and 12 are ignored.
        int[] reduced = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        int[] dense = [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 9, 10];
        var one = RankingAgreement.Of([reduced], [dense]);
        Assert.Equal(1.0, one.Top1, 15);
        Assert.Equal(0.9, one.OverlapAt10, 15);
        // Pooled with 2 queries that both disagree at top-1 and share nothing: top-1 = 1/3, overlap = 0.9 / 3.
        var other = RankingAgreement.Of([[1], [2]], [[3], [4]]);
        var pooled = RankingAgreement.Pooled(one, other);
        Assert.Equal(3, pooled.Queries);
        Assert.Equal(1.0 / 3, pooled.Top1, 15);
        Assert.Equal(0.3, pooled.OverlapAt10, 15);
    }

    [Fact]
    public void MismatchedQueriesAreRefused()
    {
        Assert.Contains("2 reduced queries but 1 dense", Assert.Throws<ArgumentException>(() => RankingAgreement.Of([[0], [1]], [[0]])).Message);
        Assert.Contains("query 0: 2 reduced candidates but 1 dense", Assert.Throws<ArgumentException>(() => RankingAgreement.Of([[0, 1]], [[0]])).Message);
        Assert.Throws<ArgumentException>(() => RankingAgreement.Of([], []));
    }
}
