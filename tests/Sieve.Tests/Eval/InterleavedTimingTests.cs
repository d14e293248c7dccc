using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>
/// The timing routine's schedule gives every case the same treatment by construction; no wall-clock value is
/// asserted. A fake clock charges each run by what it is and where it sits (first runs slow like a cold JIT, the
/// first place in a round slow like a cold cache), so identical work must come out identical.
/// </summary>
public class InterleavedTimingTests
{
    [Theory]
    [InlineData(1, 0, 1)]
    [InlineData(3, 2, 10)]
    [InlineData(4, 1, 8)]
    [InlineData(16, 2, 10)]
    public void EveryCaseIsTimedEquallyOftenInEveryPlaceAndWarmUpIsNotTimed(int cases, int warmup, int rounds)
    {
        var slots = InterleavedTiming.Schedule(cases, warmup, rounds).ToList();
        int timedRounds = InterleavedTiming.TimedRounds(cases, rounds);
        Assert.True(timedRounds >= rounds && timedRounds % cases == 0, $"{timedRounds} timed rounds for {rounds} asked, {cases} cases");
        Assert.Equal((warmup + timedRounds) * cases, slots.Count);
        // Rounds are contiguous, each runs every case exactly once, warm-up rounds come first and are never timed.
        foreach (var round in slots.GroupBy(s => s.Round))
        {
            Assert.Equal(Enumerable.Range(0, cases), round.Select(s => s.Case).Order());
            Assert.All(round, s => Assert.Equal(round.Key >= warmup, s.Timed));
        }
        Assert.Equal(slots.Select(s => s.Round).Order(), slots.Select(s => s.Round));
        for (int c = 0; c < cases; c++)
        {
            var timed = slots.Where(s => s.Timed && s.Case == c).ToList();
            Assert.Equal(timedRounds, timed.Count);
            // Every place in a round equally often: first-in-round effects hit each case alike.
            Assert.All(timed.GroupBy(s => s.Position), g => Assert.Equal(timedRounds / cases, g.Count()));
            Assert.Equal(cases, timed.Select(s => s.Position).Distinct().Count());
        }
    }

    /// <summary>Runs the routine under a fake clock; returns each case's median.</summary>
    static double[] Medians(double[] cost, int warmup, int rounds)
    {
        long now = 0;
        int place = 0;
        var runs = new int[cost.Length];
        // A cold first run (JIT, caches) costs 10× more; the first place in a round pays 30% for waking the cores.
        var cases = cost.Select((c, i) => (Action)(() => now += (long)(1000 * c * (runs[i]++ == 0 ? 10 : 1) * (place++ == 0 ? 1.3 : 1)))).ToArray();
        return InterleavedTiming.Measure(cases, warmup, rounds, () => place = 0, () => now, 1000, () => { }).Select(t => t.Median).ToArray();
    }

    [Fact]
    public void IdenticalWorkGetsIdenticalTimesWhateverItsPlaceInTheList()
    {
        // The case: none, tome:r=13, tome:r=0 (bit-identical to none), in that order and others.
        double[] cost = [10, 6, 10];
        var medians = Medians(cost, warmup: 2, rounds: 10);
        Assert.Equal(medians[0], medians[2]); // speed-up of tome:r=0 against dense: exactly 1 under any order effect
        var reordered = Medians([10, 10, 6], warmup: 2, rounds: 10);
        Assert.Equal(medians[0], reordered[0]);
        Assert.Equal(medians[1], reordered[2]);
        Assert.Equal(medians[0] / medians[1], reordered[0] / reordered[2]);
    }

    [Fact]
    public void WarmUpRunsAreNotAmongTheSamples()
    {
        var timings = InterleavedTiming.Measure([() => { }, () => { }], 1, 2, null, CountingClock(), 1, () => { });
        Assert.All(timings, t => Assert.Equal(2, t.Milliseconds.Count));
        // Without warm-up the first round counts: same count, the routine does not drop samples of its own accord.
        Assert.All(InterleavedTiming.Measure([() => { }], 0, 3, null, CountingClock(), 1, () => { }), t => Assert.Equal(3, t.Milliseconds.Count));
    }

    static Func<long> CountingClock()
    {
        long t = 0;
        return () => t++;
    }
}
