using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Eval;

/// <summary>
/// The tuner on a task with a planted answer: agreement and timing defined by hand per spec, GMACs traced on ViT-Ti/16's
/// real shape; and end to end on a tiny ViT classifier.
/// </summary>
public sealed class TunerTests
{
    static readonly Lazy<VitModel> VitTi = new(() =>
    {
        var folder = new TempFolder("sieve-tuner-");
        RandomModelFolder.Write(ModelFamily.Vit, RandomModelSize.Tiny, Path.Combine(folder.Path, "vit"));
        return VitModel.Load(Path.Combine(folder.Path, "vit"));
    });

    /// <summary>
    /// The planted task. Agreement: 1 − Σ_l w_l·r_l / 400 with w_l = 4 in the first half of the blocks and 0.25 in the second
    /// (early merges hurt sixteen times more), CrossGET the same, MADTP 1 − 20t. Time: executed GMACs, × 1.25 for linear ramps
    /// (slow on this imaginary machine), × 1.5 for CrossGET. Every call is logged with the items it saw.
    /// </summary>
    sealed class Planted(VitModel model, int[] items, List<(string Call, int[] Items)> log, Action? onEvaluate = null) : ITaskEvaluation
    {
        static readonly Dictionary<ModelReduction, double> Traced = [];

        public string Task => "planted";
        public string ItemName => "items";
        public int Count => items.Length;
        public IModel Model => model;
        public int StepsPerReducer => items.Length;

        public static double GMacs(VitModel model, ModelReduction r)
        {
            lock (Traced)
            {
                if (Traced.TryGetValue(r, out double g)) return g;
                var trace = new ForwardTrace();
                model.WithReduction(r).Towers[0].Forward(model.Example(0), trace);
                return Traced[r] = trace.GMacs;
            }
        }

        public static double Agreement(ModelReduction r) => r.Vision switch
        {
            MergingSpec m => 1 - Enumerable.Range(0, 12).Sum(l => (l < 6 ? 4 : 0.25) * m.Schedule.For(l, 12, int.MaxValue)) / 400,
            MadtpSpec { Temperature: { } t } => 1 - 20 * t,
            _ => 1,
        };

        public static double Time(VitModel model, ModelReduction r) =>
            GMacs(model, r) * (r.Vision is MergingSpec { Schedule.Text: var s } && s.Contains("..") ? 1.25 : 1) * (r.Vision is CrossGetSpec ? 1.5 : 1);

        public IReadOnlyList<ITaskResult> Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null)
        {
            log.Add(("evaluate", items));
            onEvaluate?.Invoke();
            var rows = new List<ITaskResult>();
            foreach (var r in reductions.Prepend(ModelReduction.None))
            {
                for (int i = 0; i < items.Length; i++) progress?.Invoke();
                rows.Add(new Row(r.ToString(), items.Length, Agreement(r), GMacs(model, r)));
            }
            return rows;
        }

        public ITaskEvaluation Subset(IReadOnlyList<int> subset) => new Planted(model, subset.Select(i => items[i]).ToArray(), log, onEvaluate);

        IReadOnlyList<Timing> ITaskEvaluation.Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int count, int warmupRounds, int rounds, Action? afterRound)
        {
            log.Add(("time", items[..count]));
            return reductions.Prepend(ModelReduction.None).Select(r => new Timing([Time(model, r), Time(model, r)])).ToArray();
        }
    }

    sealed record Row(string Reducer, int Items, double Agreement, double GMacs, double? ItemsPerSecond = null, double? SpeedUp = null) : ITaskResult
    {
        public IReadOnlyList<TaskMetric> Metrics => [new("agree", "agree", 100 * Agreement, 1)];
        public double? Score => null;
        public double? Cosine => null;
        ITaskResult ITaskResult.WithSpeed(double itemsPerSecond, double speedUp) => this with { ItemsPerSecond = itemsPerSecond, SpeedUp = speedUp };
    }

    static readonly TuneOptions Options = new(TuneBudget.Parse("agreement>=0.8")) { Speed = new SpeedOptions(items: 4, rounds: 2, warmupRounds: 0), Seed = 7, SpeedTie = 0 };

    [Fact]
    public void ThePlantedBestSpecIsFoundAndConfirmedOnTheHeldOutItems()
    {
        var vit = VitTi.Value;
        var log = new List<(string, int[])>();
        var result = Tuner.Tune(new Planted(vit, Enumerable.Range(0, 40).ToArray(), log), Options);

        // The known answer, by brute force over the whole space with the planted functions: among the specs inside the
        // budget, those within the near-tie margin of the fewest GMACs, the fastest by the planted time.
        var space = TuneSpace.For(vit, TuneSpace.DefaultMethods(vit)).SelectMany(f => f.Levels).Where(r => Planted.Agreement(r) >= Options.Budget.Limit).ToList();
        double cheapest = space.Min(r => Planted.GMacs(vit, r));
        var expected = space.Where(r => Planted.GMacs(vit, r) <= cheapest * 1.1).MinBy(r => Planted.Time(vit, r))!;
        Assert.Equal(expected.ToString(), result.Reducer);
        // The planted structure: late merges are cheap in agreement, so the answer merges most in the last blocks, and it is
        // not the ramp that has the fewest GMACs (ramps are slow here): timing, not GMACs, decided.
        var merges = ((MergingSpec)result.Chosen!.Reduction.Vision).Schedule;
        Assert.True(merges.For(11, 12, int.MaxValue) > merges.For(0, 12, int.MaxValue), result.Reducer);
        var fewestGMacs = space.MinBy(r => Planted.GMacs(vit, r))!;
        Assert.NotEqual(fewestGMacs.ToString(), result.Reducer);
        Assert.Contains("..", fewestGMacs.ToString());

        // The search pruned and bisected: far fewer evaluations than specs.
        int all = TuneSpace.For(vit, TuneSpace.DefaultMethods(vit)).Sum(f => f.Levels.Count);
        Assert.True(result.Candidates.Count - 1 <= result.Planned && result.Planned < all / 2, $"{result.Candidates.Count - 1} candidates, {result.Planned} planned, of {all}");
        Assert.True(result.Skipped > 0);
        Assert.False(result.StoppedByTime);

        // Held-out: never seen before the last call, which is the held-out run alone.
        var held = result.Split.HeldOut.ToHashSet();
        Assert.All(log.SkipLast(2), call => Assert.DoesNotContain(call.Item2, held.Contains));
        Assert.Equal(result.Split.HeldOut, log[^2].Item2);
        Assert.Equal(["none", result.Reducer], result.HeldOut.Take(2).Select(r => r.Reducer));
        Assert.Equal(result.Reducer, result.ChosenHeldOut.Reducer);
        Assert.True(result.HeldOutMeets);
        Assert.NotNull(result.BestConstant);
        Assert.Equal(1.0, result.HeldOut[0].SpeedUp);
        Assert.All(result.HeldOut, r => Assert.NotNull(r.SpeedUp));
        Assert.True(result.ChosenHeldOut.SpeedUp >= result.BestConstant!.SpeedUp, $"{result.ChosenHeldOut.SpeedUp} < {result.BestConstant.SpeedUp}");

        // The Pareto front holds dense and the chosen spec, and no member beats another on both axes.
        Assert.Contains(result.Pareto, c => c.Spec == "none");
        Assert.Contains(result.Pareto, c => c.Spec == result.Reducer);
        Assert.All(result.Pareto, a => Assert.DoesNotContain(result.Pareto, b => b != a && b.SpeedUp > a.SpeedUp && b.Value > a.Value));
    }

    [Theory]
    [InlineData("tome:r=8", true)]
    [InlineData("vision=crossget:r=13", true)]
    [InlineData("tome:r=2..8", false)]
    [InlineData("tome:r=8/8/4", false)]
    [InlineData("tome:ratio=0.1", false)]
    [InlineData("madtp:t=0.1", false)]
    [InlineData("vision=tome:r=8;text=tome:r=2", false)]
    public void ACompareSpecCountsAsAConstantScheduleOnlyWithOneRForEveryBlock(string spec, bool constant) =>
        Assert.Equal(constant, Tuner.IsConstant(ModelReduction.Parse(spec)));

    [Fact]
    public void TheSameSeedGivesTheSameSearchAndTheReturnedSpecParsesBack()
    {
        var vit = VitTi.Value;
        string Run(int seed) => string.Join("\n", Tuner.Tune(new Planted(vit, Enumerable.Range(0, 30).ToArray(), []), Options with { Seed = seed })
            .Candidates.Select(c => $"{c.Spec} {c.Value:R} {c.GMacs:R} {c.Result.Items}"));
        Assert.Equal(Run(1), Run(1));
        var result = Tuner.Tune(new Planted(vit, Enumerable.Range(0, 30).ToArray(), []), Options);
        Assert.Equal(result.Chosen!.Reduction, ModelReduction.Parse(result.Reducer));
        vit.WithReduction(ModelReduction.Parse(result.Reducer)).Towers[0].Forward(vit.Example(0));
    }

    [Fact]
    public void TheTimeBudgetStopsTheSearchBetweenRoundsAndSaysSo()
    {
        var vit = VitTi.Value;
        var clock = TimeSpan.Zero;
        int evaluations = 0;
        var planted = new Planted(vit, Enumerable.Range(0, 30).ToArray(), [], () => { evaluations++; clock += TimeSpan.FromSeconds(1); });
        var full = Tuner.Tune(planted, Options, null, () => clock);
        Assert.False(full.StoppedByTime);
        int fullRounds = evaluations - 2; // less the budget check on one item and the held-out run

        clock = TimeSpan.Zero;
        evaluations = 0;
        var stopped = Tuner.Tune(planted, Options with { TimeBudget = TimeSpan.FromSeconds(2.5) }, null, () => clock);
        Assert.True(stopped.StoppedByTime);
        Assert.True(fullRounds > 2, $"{fullRounds} rounds");
        Assert.Equal(2 + 2, evaluations); // the check (1 s), two rounds (3 s in all), then no third; the held-out run
        Assert.True(stopped.Candidates.Count < full.Candidates.Count);
        Assert.NotNull(stopped.Chosen);
        Assert.Equal(stopped.Split.HeldOut.Count, stopped.ChosenHeldOut.Items);
    }

    [Fact]
    public void ABudgetNothingMeetsLeavesDenseAsTheAnswer()
    {
        var vit = VitTi.Value;
        var result = Tuner.Tune(new Planted(vit, Enumerable.Range(0, 10).ToArray(), []), Options with { Budget = TuneBudget.Parse("agreement>=1"), Methods = ["tome"] });
        Assert.Null(result.Chosen);
        Assert.Equal("none", result.Reducer);
        Assert.Equal("none", result.ChosenHeldOut.Reducer);
        Assert.Single(result.HeldOut);
    }

    [Fact]
    public void ATinyVitClassifierIsTunedEndToEnd()
    {
        using var ck = TinyModels.Vit(31, DType.F32);
        var vit = VitModel.Load(ck.Directory);
        var random = new Random(4);
        int pixels = 3 * vit.Config.ImageSize * vit.Config.ImageSize;
        var inputs = Enumerable.Range(0, 24).Select(_ => Enumerable.Range(0, pixels).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray()).ToArray();
        var labels = Enumerable.Range(0, 24).Select(i => i % TinyModels.VitClasses).ToArray();
        var steps = new List<TuneProgress>();
        var result = Tuner.Tune(new ClassifierEvaluation(vit, inputs, labels), Options with { Budget = TuneBudget.Parse("drop<=30"), HeldOutFraction = 0.25 },
            p => { lock (steps) steps.Add(p); });

        Assert.Equal("classify", result.Task);
        Assert.Equal(6, result.Split.HeldOut.Count);
        Assert.All(result.Candidates, c => Assert.Equal(18, c.Result.Items));
        Assert.Equal(0, result.Candidates[0].Value);
        Assert.All(result.Candidates, c => Assert.Equal(c.Meets, c.Value <= 30));
        Assert.Equal(["search", "timing", "held-out", "held-out timing"], steps.Select(p => p.Stage).Distinct());
        Assert.All(steps, p => Assert.True(p.Step <= p.Steps && p.Candidate <= p.Candidates, $"{p}"));
        var parsed = ModelReduction.Parse(result.Reducer);
        Assert.Equal(result.Reducer, parsed.ToString());
        Assert.Equal(6, result.ChosenHeldOut.Items);
        Assert.Equal(result.HeldOutMeets, result.HeldOutValue <= 30);
        Assert.Equal(result.HeldOutValue, result.HeldOut[0].Score!.Value - result.ChosenHeldOut.Score!.Value, 12);
    }
}
