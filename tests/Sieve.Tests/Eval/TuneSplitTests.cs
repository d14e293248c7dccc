using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>The calibration / held-out split: disjoint, complete, sized by the fraction, fixed by the seed.</summary>
public sealed class TuneSplitTests
{
    [Theory]
    [InlineData(200, 0.5, 100)]
    [InlineData(7, 0.3, 2)]
    [InlineData(2, 0.01, 1)]
    [InlineData(2, 0.99, 1)]
    public void TheSplitsAreDisjointCoverEveryItemAndHoldOutTheFraction(int count, double fraction, int held)
    {
        var split = TuneSplit.Make(count, fraction, seed: 3);
        Assert.Equal(held, split.HeldOut.Count);
        Assert.Empty(split.Calibration.Intersect(split.HeldOut));
        Assert.Equal(Enumerable.Range(0, count), split.Calibration.Concat(split.HeldOut).Order());
        Assert.Equal(split.HeldOut.Order(), split.HeldOut);
        Assert.Equal(split.Calibration.Order(), split.Calibration);
    }

    [Fact]
    public void TheSameSeedGivesTheSameSplitAndAnotherSeedAnotherOne()
    {
        var a = TuneSplit.Make(100, 0.5, seed: 1);
        Assert.Equal(a.HeldOut, TuneSplit.Make(100, 0.5, seed: 1).HeldOut);
        Assert.NotEqual(a.HeldOut, TuneSplit.Make(100, 0.5, seed: 2).HeldOut);
        // Shuffled, not the first half.
        Assert.NotEqual(Enumerable.Range(0, 50), a.HeldOut);
        Assert.NotEqual(Enumerable.Range(50, 50), a.HeldOut);
    }

    [Fact]
    public void TooFewItemsOrAFractionOutsideTheOpenIntervalAreRefused()
    {
        Assert.Contains("at least 2 items", Assert.Throws<ArgumentException>(() => TuneSplit.Make(1, 0.5, 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TuneSplit.Make(10, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TuneSplit.Make(10, 1, 0));
    }
}
