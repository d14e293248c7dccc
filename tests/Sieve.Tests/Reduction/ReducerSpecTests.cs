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
        Assert.Equal(canonical, ModelReduction.Parse(spec).ToString());
        Assert.Equal(canonical, ModelReduction.Parse(canonical).ToString());
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
        var e = Assert.Throws<ArgumentException>(() => ModelReduction.Parse(spec));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void AScheduleListMustHaveOneEntryPerLayer()
    {
        var tower = new TowerInfo("vision", Modality.Image, 12, 192, 3);
        var e = Assert.Throws<ArgumentException>(() => ModelReduction.Parse("tome:r=4/4/4").Bind(tower));
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
        var spec = Assert.IsType<MadtpSpec>(ReducerSpec.Parse("madtp:target=0.6"));
        Assert.True(spec.NeedsCalibration);
        Assert.Throws<InvalidOperationException>(() => spec.Bind(tower));
        var calibrated = spec.WithTemperature(0.5);
        Assert.False(calibrated.NeedsCalibration);
        Assert.Equal(new MadtpSpec(temperature: 0.5), calibrated); // the target is spent
        Assert.Equal("madtp:t=0.5", calibrated.ToString());
        Assert.IsType<MadtpReducer>(calibrated.Bind(tower));
        Assert.Contains("t must be ≥ 0", Assert.Throws<ArgumentException>(() => spec.WithTemperature(-1)).Message);
    }

    [Fact]
    public void TheParserBuildsTheTypedRecordOfEachMethod()
    {
        Assert.Same(ReducerSpec.None, ReducerSpec.Parse("none"));
        Assert.Equal(new ToMeSpec(MergeSchedule.Constant(13)), ReducerSpec.Parse("tome"));
        Assert.Equal(new ToMeSpec(MergeSchedule.Ramp(4, 20), proportionalAttention: false), ReducerSpec.Parse("tome:r=4..20,prop=off"));
        Assert.Equal(new CrossGetSpec(MergeSchedule.Constant(16)), ReducerSpec.Parse("crossget"));
        Assert.Equal(new CrossGetSpec(MergeSchedule.PerLayer([3, 2, 1])), ReducerSpec.Parse("crossget:r=3/2/1"));
        Assert.Equal(new MadtpSpec(target: 0.5), ReducerSpec.Parse("madtp"));
        Assert.Equal(new MadtpSpec(temperature: 0.25, magTokenCount: 32, seed: 3), ReducerSpec.Parse("madtp:t=0.25,m=32,seed=3"));
        Assert.Equal(new PumerSpec(PumerOptions.Released), ReducerSpec.Parse("pumer"));
        Assert.Equal(new PumerSpec(new PumerOptions([1, 3], 0.2, 0.3, 0), false), ReducerSpec.Parse("pumer:layers=1/3,p=0.2,mt=0,prop=off"));
        // A merging spec exposes its schedule; the others have none to expose.
        Assert.Equal(MergeSchedule.Ratio(0.1), Assert.IsAssignableFrom<MergingSpec>(ReducerSpec.Parse("crossget:ratio=0.1")).Schedule);
        Assert.IsNotAssignableFrom<MergingSpec>(ReducerSpec.Parse("madtp:t=1"));
        // A one-entry list fits one depth only, so it is not the constant it prints as (r=13 parses to the constant).
        Assert.NotEqual(MergeSchedule.PerLayer([13]), MergeSchedule.Constant(13));
        Assert.Equal(MergeSchedule.PerLayer([13, 2]), MergeSchedule.PerLayer([13, 2]));
    }

    static readonly ReducerSpec[] Specs =
    [
        ReducerSpec.None,
        new ToMeSpec(MergeSchedule.Constant(13)),
        new ToMeSpec(MergeSchedule.Constant(0)),
        new ToMeSpec(MergeSchedule.Ratio(0)),
        new ToMeSpec(MergeSchedule.Ratio(0.1)),
        new ToMeSpec(MergeSchedule.Ramp(4, 20), proportionalAttention: false),
        new ToMeSpec(MergeSchedule.PerLayer([16, 16, 8])),
        new CrossGetSpec(MergeSchedule.Constant(13)),
        new CrossGetSpec(MergeSchedule.Ratio(0.25), proportionalAttention: false),
        new MadtpSpec(target: 0.5),
        new MadtpSpec(target: 1),
        new MadtpSpec(temperature: 0),
        new MadtpSpec(temperature: 0.25, magTokenCount: 32, seed: -3, proportionalAttention: false),
        new PumerSpec(PumerOptions.Released),
        new PumerSpec(PumerOptions.Released, proportionalAttention: false),
        new PumerSpec(new PumerOptions([0, 4], 0, 0.5, 0.125)),
    ];

    public static TheoryData<int> SpecIndices => [.. Enumerable.Range(0, Specs.Length)];

    [Theory]
    [MemberData(nameof(SpecIndices))]
    public void EverySpecParsesBackFromItsTextToAnEqualRecord(int index)
    {
        var spec = Specs[index];
        var parsed = ReducerSpec.Parse(spec.ToString());
        Assert.Equal(spec, parsed);
        Assert.Equal(spec.GetHashCode(), parsed.GetHashCode());
        Assert.Equal(spec.Method, parsed.Method);
        // Equality is not vacuous: this spec equals no other in the list.
        Assert.Single(Specs, other => other.Equals(spec));
    }

    [Fact]
    public void EveryRecordRefusesInvalidValuesOnConstruction()
    {
        string Refused(Func<object> make) => Assert.ThrowsAny<ArgumentException>(make).Message;
        Assert.Equal("schedule", Assert.Throws<ArgumentNullException>(() => new ToMeSpec(null!)).ParamName);
        Assert.Equal("schedule", Assert.Throws<ArgumentNullException>(() => new CrossGetSpec(null!)).ParamName);
        Assert.Contains("r must not be negative", Refused(() => new ToMeSpec(MergeSchedule.Constant(-2))));
        Assert.Contains("merge ratio must be in [0, 1)", Refused(() => new CrossGetSpec(MergeSchedule.Ratio(1))));
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new PumerSpec(null!)).ParamName);
        Assert.Contains("ascending", Refused(() => new PumerSpec(new PumerOptions([5, 2], 0.1, 0.3, 0.2))));
        Assert.Contains("t must be ≥ 0, got -1", Refused(() => new MadtpSpec(temperature: -1)));
        Assert.Contains("t must be a finite number", Refused(() => new MadtpSpec(temperature: double.PositiveInfinity)));
        Assert.Contains("t must be a finite number", Refused(() => new MadtpSpec(temperature: double.NaN)));
        Assert.Contains("give t or target, not both", Refused(() => new MadtpSpec(temperature: 1, target: 0.5)));
        Assert.Contains("give a temperature t or a compute target", Refused(() => new MadtpSpec()));
        Assert.Contains("target is a fraction of the dense GFLOPs in (0, 1], got 0", Refused(() => new MadtpSpec(target: 0)));
        Assert.Contains("got 1.5", Refused(() => new MadtpSpec(target: 1.5)));
        Assert.Contains("target is a fraction", Refused(() => new MadtpSpec(target: double.NaN)));
        Assert.Contains("m must be at least 1, got 0", Refused(() => new MadtpSpec(temperature: 1, magTokenCount: 0)));
    }

    [Fact]
    public void EachSpecBindsItsOwnReducer()
    {
        var image = new TowerInfo("vision", Modality.Image, 2, 8, 2);
        var fusion = new TowerInfo("fusion", Modality.Multimodal, 2, 8, 2);
        Assert.Null(ReducerSpec.None.Bind(image));
        var tome = Assert.IsType<ToMeReducer>(ReducerSpec.Parse("tome:r=3,prop=off").Bind(image));
        Assert.Equal((MergeSchedule.Constant(3), false), (tome.Schedule, tome.ProportionalAttention));
        Assert.IsType<CrossGetReducer>(ReducerSpec.Parse("crossget:r=3").Bind(image));
        var madtp = Assert.IsType<MadtpReducer>(ReducerSpec.Parse("madtp:t=2").Bind(image));
        Assert.True(madtp.ProportionalAttention);
        var pumer = Assert.IsType<PumerReducer>(ReducerSpec.Parse("pumer:layers=1,prop=off").Bind(fusion));
        Assert.False(pumer.ProportionalAttention);
    }

    [Fact]
    public void AModelReductionGivesEachTowerItsSpec()
    {
        var image = new TowerInfo("vision", Modality.Image, 2, 8, 2);
        var text = new TowerInfo("text", Modality.Text, 2, 8, 2);
        var reduction = ModelReduction.Parse("vision=crossget:r=4;text=tome:r=2");
        Assert.Equal(ModelReduction.PerTower(new CrossGetSpec(MergeSchedule.Constant(4)), new ToMeSpec(MergeSchedule.Constant(2))), reduction);
        Assert.Equal(new CrossGetSpec(MergeSchedule.Constant(4)), reduction.For(image));
        Assert.Equal(new ToMeSpec(MergeSchedule.Constant(2)), reduction.For(text));
        Assert.Equal(ReducerSpec.None, ModelReduction.Parse("vision=tome:r=1").For(text));
        Assert.True(ModelReduction.Parse("none").IsNone);
        Assert.Equal(ModelReduction.None, ModelReduction.Parse("vision=none;text=none"));
        // Equal specs on both towers are one spec: a fusion tower takes it, and it prints once.
        var both = ModelReduction.PerTower(ReducerSpec.Parse("tome:r=2"), ReducerSpec.Parse("tome:r=2"));
        Assert.Equal("tome:r=2", both.ToString());
        Assert.Equal(new ToMeSpec(MergeSchedule.Constant(2)), both.For(new TowerInfo("fusion", Modality.Multimodal, 2, 8, 2)));
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
        var unreachable = Assert.Throws<ArgumentException>(() => MadtpCalibration.Calibrate(_ => 0.9, 0.5));
        Assert.Contains("cannot reach 50%", unreachable.Message);
    }
}
