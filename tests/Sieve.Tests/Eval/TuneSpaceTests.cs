using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Eval;

/// <summary>The search space on ViT-Ti/16's shape (12 blocks, 196 patches) and on a CLIP: valid, parseable, ordered specs.</summary>
public sealed class TuneSpaceTests
{
    static readonly Lazy<VitModel> VitTi = new(() =>
    {
        var folder = new TempFolder("sieve-tune-space-");
        RandomModelFolder.Write(ModelFamily.Vit, RandomModelSize.Tiny, Path.Combine(folder.Path, "vit"));
        return VitModel.Load(Path.Combine(folder.Path, "vit"));
    });

    [Fact]
    public void ConstantRGoesUpTo15On196PatchesIn12Blocks()
    {
        // By hand: before the last block 196 − 11·r tokens remain, and r may be at most half of them: r = 15 leaves 31 (15 ≤ 15),
        // r = 16 leaves 20 (16 > 10), so 16 would be capped there.
        var constant = TuneSpace.For(VitTi.Value, ["tome"]).Single(f => f.IsConstant);
        Assert.Equal(Enumerable.Range(1, 15).Select(r => $"tome:r={r}"), constant.Levels.Select(l => l.ToString()));
    }

    [Fact]
    public void NoMergeScheduleEverAsksABlockForMoreThanHalfItsTokens()
    {
        var families = TuneSpace.For(VitTi.Value, ["tome", "crossget"]);
        Assert.Equal(["constant", "ramp up", "ramp down", "gentle ramp up", "gentle ramp down", "front-loaded", "back-loaded"], families.Where(f => f.Method == "tome").Select(f => f.Shape));
        foreach (var family in families)
            foreach (var level in family.Levels)
            {
                var schedule = ((MergingSpec)level.Vision).Schedule;
                int n = 196;
                for (int l = 0; l < 12; l++)
                {
                    int r = schedule.For(l, 12, int.MaxValue);
                    Assert.True(r <= n / 2, $"{level}: block {l} asks for {r} of {n} tokens");
                    n -= r;
                }
            }
    }

    [Fact]
    public void EverySpecParsesBackIsAcceptedByTheModelAndLevelsGetCheaper()
    {
        var vit = VitTi.Value;
        var families = TuneSpace.For(vit, ["tome", "crossget", "madtp"]);
        Assert.Contains(families, f => f.Shape == "back-loaded" && f.Levels[2].ToString() == "tome:r=1/1/1/1/3/3/3/3/5/5/5/5");
        Assert.Contains(families, f => f.Shape == "ramp up" && f.Levels[0].ToString() == "crossget:r=0..2");
        var seen = new HashSet<string>();
        foreach (var family in families)
        {
            double previous = double.MaxValue;
            foreach (var level in family.Levels)
            {
                Assert.True(seen.Add(level.ToString()), $"{level} twice");
                Assert.Equal(level, ModelReduction.Parse(level.ToString()));
                Assert.False(level.Vision is MadtpSpec { NeedsCalibration: true }, $"{level} needs calibration");
                var trace = new ForwardTrace();
                vit.WithReduction(level).Towers[0].Forward(vit.Example(0), trace);
                if (family.FixedTokens) Assert.True(trace.Macs < previous, $"{level} is not cheaper than the level before it");
                previous = trace.Macs;
            }
        }
        Assert.Equal(20, families.Single(f => f.Method == "madtp").Levels.Count);
    }

    [Fact]
    public void ACliptunesItsVisionTowerAloneAndPumerIsRefusedOffFusionModels()
    {
        using var ck = TinyModels.Clip(5, DType.F32);
        var clip = ClipModel.Load(ck.Directory);
        var families = TuneSpace.For(clip, TuneSpace.DefaultMethods(clip));
        Assert.Equal(["tome", "crossget", "madtp"], families.Select(f => f.Method).Distinct());
        Assert.All(families.SelectMany(f => f.Levels), l => Assert.True(l.Text.IsNone && l.ToString().StartsWith("vision=", StringComparison.Ordinal), l.ToString()));
        Assert.Contains("fusion models (ViLT) only", Assert.Throws<ArgumentException>(() => TuneSpace.For(clip, ["pumer"])).Message);
        Assert.Contains("unknown method 'fast'", Assert.Throws<ArgumentException>(() => TuneSpace.For(clip, ["fast"])).Message);
    }
}
