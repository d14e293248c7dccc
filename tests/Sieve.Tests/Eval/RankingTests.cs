using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>The top-k rule every ranking metric uses: higher first, ties to the lower index, k clamped.</summary>
public sealed class RankingTests
{
    [Fact]
    public void EqualScoresRankTheLowerIndexFirst()
    {
        // Scores 0.5, 0.7, 0.5, 0.7, 0.2: the two 0.7s (indices 1, 3) lead, lower index first; then the 0.5s (0, 2); then 4.
        double[] scores = [0.5, 0.7, 0.5, 0.7, 0.2];
        Assert.Equal([1, 3, 0, 2, 4], Ranking.Top<double>(scores, 5));
        Assert.Equal([1, 3, 0], Ranking.Top<double>(scores, 3));
        Assert.Equal([1], Ranking.Top<float>([0.5f, 0.7f, 0.5f, 0.7f, 0.2f], 1));
    }

    [Fact]
    public void KBeyondTheCandidatesGivesThemAllAndTheQueryCanBeLeftOut()
    {
        Assert.Equal([1, 0], Ranking.Top<double>([1.0, 2.0], 10));
        // Without candidate 0 (the query itself): 2 (0.5), then 1 (0.1).
        Assert.Equal([2, 1], Ranking.Top<double>([0.9, 0.1, 0.5], 10, exclude: 0));
        Assert.Equal([2], Ranking.Top<double>([0.9, 0.1, 0.5], 1, exclude: 0));
    }

    [Fact]
    public void NaNAndKBelowOneAreRefused()
    {
        Assert.Contains("score 1 is NaN", Assert.Throws<ArgumentException>(() => Ranking.Top<double>([0.1, double.NaN], 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ranking.Top<double>([0.1], 0));
    }
}
