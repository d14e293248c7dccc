using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Tests.Reduction;

public class ReducerSpecTests
{
    [Theory]
    [InlineData("none", "none")]
    [InlineData("tome", "tome:r=13")]
    [InlineData("ToMe:r=13", "tome:r=13")]
    [InlineData("crossget", "crossget:r=16")]
    [InlineData("crossget:r=4..20", "crossget:r=4..20")]
    [InlineData("tome:r=16/16/8", "tome:r=16/16/8")]
    [InlineData("tome:ratio=0.1,prop=off", "tome:ratio=0.1,prop=off")]
    [InlineData("madtp", "madtp:target=0.5")]
    [InlineData("madtp:t=0.25,m=32,seed=3", "madtp:t=0.25,m=32,seed=3")]
    [InlineData("vision=crossget:r=16;text=tome:r=6", "vision=crossget:r=16;text=tome:r=6")]
    [InlineData("vision=tome:r=8", "vision=tome:r=8")]
    public void ParsesToCanonicalForm(string spec, string canonical)
    {
        Assert.Equal(canonical, ReductionSpec.Parse(spec).ToString());
        Assert.Equal(canonical, ReductionSpec.Parse(canonical).ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("merge:r=3", "unknown method 'merge'")]
    [InlineData("tome:x=3", "tome has no parameter 'x' (expected r, ratio, prop)")]
    [InlineData("tome:r=abc", "r must be a whole number, got 'abc'")]
    [InlineData("tome:r=-2", "r: r must not be negative")]
    [InlineData("tome:r", "'r' should be key=value")]
    [InlineData("tome:r=3,r=4", "'r' is given twice")]
    [InlineData("tome:r=3,ratio=0.1", "give r or ratio, not both")]
    [InlineData("tome:ratio=1.5", "merge ratio must be in [0, 1)")]
    [InlineData("madtp:target=0", "target is a fraction of the dense GFLOPs in (0, 1]")]
    [InlineData("madtp:t=-1", "t must be ≥ 0")]
    [InlineData("madtp:t=1,target=0.5", "give t or target, not both")]
    [InlineData("tome:prop=maybe", "prop must be on or off")]
    [InlineData("vision=tome:r=2;vision=tome:r=3", "the vision tower is given twice")]
    [InlineData("vision=tome:r=2;crossget", "needs a tower")]
    public void BadSpecsAreRefusedWithTheReason(string spec, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => ReductionSpec.Parse(spec));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void AScheduleListMustHaveOneEntryPerLayer()
    {
        var tower = new TowerInfo("vision", Modality.Image, 12, 192, 3);
        var e = Assert.Throws<ArgumentException>(() => ReductionSpec.Parse("tome:r=4/4/4").Bind(tower));
        Assert.Contains("lists 3 layers, but the vision tower has 12", e.Message);
    }

    [Fact]
    public void SchedulesFollowTheirFormulasAndTheCap()
    {
        var ramp = MergeSchedule.Ramp(0, 22);
        Assert.Equal([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22], Enumerable.Range(0, 12).Select(l => ramp.For(l, 12, 1000)));
        Assert.Equal(7, MergeSchedule.Constant(13).For(0, 12, 15)); // ⌊15 / 2⌋
        Assert.Equal(10, MergeSchedule.Ratio(0.1).For(0, 12, 100));
    }

    [Fact]
    public void UncalibratedMadtpCannotRun()
    {
        var tower = new TowerInfo("vision", Modality.Image, 2, 8, 2);
        var spec = ReducerSpec.Parse("madtp:target=0.6");
        Assert.True(spec.NeedsCalibration);
        Assert.Throws<InvalidOperationException>(() => spec.Bind(tower));
        var calibrated = spec.WithTemperature(0.5);
        Assert.Equal("madtp:t=0.5", calibrated.ToString());
        Assert.IsType<MadtpReducer>(calibrated.Bind(tower));
    }

    [Fact]
    public void CalibrationBracketsAndBisectsToTheTarget()
    {
        // A monotone stand-in for measured compute: ratio(T) = 1 / (1 + T/7).
        int calls = 0;
        var result = MadtpCalibration.Calibrate(t => { calls++; return 1 / (1 + t / 7); }, 0.5);
        Assert.InRange(result.Ratio, 0.49, 0.51);
        Assert.InRange(result.Temperature, 6.5, 7.5);
        Assert.Equal(calls, result.Evaluations);
        var unreachable = Assert.Throws<InvalidOperationException>(() => MadtpCalibration.Calibrate(_ => 0.9, 0.5));
        Assert.Contains("cannot reach 50%", unreachable.Message);
    }
}
