using System.Diagnostics;
using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>
/// <c>sieve tune</c>: the fastest reducer inside an accuracy budget, on the user's own task. The items are split
/// (<see cref="TuneSplit"/>); on the calibration split every family of the search space (<see cref="TuneSpace"/>) is
/// bisected for its strongest level inside the budget — a level that breaks it bounds the family from above, one that
/// keeps it from below, and the families advance together, one evaluation pass per round (dense runs once per pass).
/// Executed GMACs prune first: a merge schedule whose GMACs (one traced forward; fixed for every input) exceed the
/// cheapest spec already inside the budget by more than <see cref="TuneOptions.NearTie"/> is not evaluated, and neither
/// are the weaker levels below it. The specs inside the budget within that margin of the cheapest (and each method's
/// strongest constant schedule) are then timed against dense in one interleaved run on the calibration split, and the
/// fastest is chosen; speed-ups within <see cref="TuneOptions.SpeedTie"/> of the fastest are ties, won by the better
/// budget quantity, then fewer GMACs, then the spec's text. Finally dense, the chosen spec, each method's two strongest
/// constant schedules inside the budget and the comparison specs run on the held-out split, timed in one run.
/// Everything but measured times (and the choice among ties the timing cannot separate) follows from the seed.
/// </summary>
public static class Tuner
{
    /// <summary>Searches, times and confirms on the held-out split; see <see cref="Tuner"/>.</summary>
    /// <param name="evaluation">The task on all its items.</param>
    /// <param name="options">Budget, methods, split, time budget and speed settings.</param>
    /// <param name="progress">Null, or told of every step (from worker threads during evaluation).</param>
    /// <exception cref="ArgumentException">The budget does not apply to the task, or a method does not apply to the model.</exception>
    public static TuneResult Tune(ITaskEvaluation evaluation, TuneOptions options, Action<TuneProgress>? progress = null)
    {
        var watch = Stopwatch.StartNew();
        return Tune(evaluation, options, progress, () => watch.Elapsed);
    }

    /// <summary><see cref="Tune(ITaskEvaluation, TuneOptions, Action{TuneProgress}?)"/> with the clock given (tests).</summary>
    internal static TuneResult Tune(ITaskEvaluation evaluation, TuneOptions options, Action<TuneProgress>? progress, Func<TimeSpan> clock)
    {
        var budget = options.Budget;
        var guidance = options.Guidance;
        var split = TuneSplit.Make(evaluation.Count, options.HeldOutFraction, options.Seed);
        var families = TuneSpace.For(evaluation.Model, options.Methods ?? TuneSpace.DefaultMethods(evaluation.Model));
        var calibration = evaluation.Subset(split.Calibration);
        var heldOut = evaluation.Subset(split.HeldOut);
        // Refuse a budget the task cannot measure before any real work: dense on two items (nearest neighbours need two) shows which metrics exist.
        budget.CheckApplies(calibration.Subset([.. Enumerable.Range(0, Math.Min(2, calibration.Count))]).Evaluate([], guidance)[0], evaluation.Task);

        int planned = families.Sum(f => BisectionSteps(f.Levels.Count));
        var predicted = new Dictionary<ModelReduction, double>();
        double Predict(ModelReduction r)
        {
            if (predicted.TryGetValue(r, out double g)) return g;
            var tower = TuneSpace.SearchedTower(evaluation.Model.WithReduction(r, guidance));
            var trace = new ForwardTrace();
            tower.Forward(tower.Example(0), trace);
            return predicted[r] = trace.GMacs;
        }

        var candidates = new List<TuneCandidate>();
        ITaskResult? dense = null;
        TuneCandidate? best = null;
        double? bound = null;
        int skipped = 0;
        bool stopped = false;
        var lo = new int[families.Count];
        var hi = families.Select(f => f.Levels.Count + 1).ToArray();
        while (true)
        {
            var picks = new List<(int Family, int Level)>();
            for (int f = 0; f < families.Count; f++)
                while (hi[f] - lo[f] > 1)
                {
                    int mid = (lo[f] + hi[f]) / 2;
                    if (families[f].FixedTokens && bound is { } b && Predict(families[f].Levels[mid - 1]) > b * (1 + options.NearTie))
                    {
                        // Too costly to be shortlisted, and every weaker level costs more still: look only at stronger ones.
                        lo[f] = mid;
                        skipped++;
                        continue;
                    }
                    picks.Add((f, mid));
                    break;
                }
            if (picks.Count == 0) break;
            if (options.TimeBudget is { } limit && clock() >= limit)
            {
                stopped = true;
                break;
            }
            int done = candidates.Count == 0 ? 0 : candidates.Count - 1;
            var rows = Pass(calibration, picks.Select(p => families[p.Family].Levels[p.Level - 1]).ToArray(), guidance, "search", done + picks.Count, planned, best, progress);
            if (dense == null)
            {
                dense = rows[0];
                candidates.Add(new TuneCandidate(ModelReduction.None, null, dense, budget.Value(dense, dense), true));
            }
            for (int i = 0; i < picks.Count; i++)
            {
                var (f, level) = picks[i];
                var family = families[f];
                double value = budget.Value(rows[i + 1], dense);
                var candidate = new TuneCandidate(family.Levels[level - 1], family, rows[i + 1], value, budget.Meets(value));
                candidates.Add(candidate);
                if (candidate.Meets)
                {
                    lo[f] = level;
                    if (family.FixedTokens) bound = Math.Min(bound ?? double.MaxValue, Predict(candidate.Reduction));
                    if (best == null || candidate.GMacs < best.GMacs) best = candidate;
                }
                else hi[f] = level;
            }
        }
        if (dense == null)
        {
            dense = Pass(calibration, [], guidance, "search", 0, planned, null, progress)[0];
            candidates.Add(new TuneCandidate(ModelReduction.None, null, dense, budget.Value(dense, dense), true));
        }

        var (timed, chosen) = TimeShortlist(calibration, candidates, options, planned, progress);
        var (heldRows, constants) = ConfirmHeldOut(heldOut, candidates, chosen, options, progress, planned);
        var chosenHeld = chosen == null ? heldRows[0] : heldRows.First(r => r.Reducer == chosen.Spec);
        double heldValue = budget.Value(chosenHeld, heldRows[0]);
        var bestConstant = heldRows.Where(r => constants.Contains(r.Reducer) && budget.Meets(budget.Value(r, heldRows[0])))
            .OrderByDescending(r => r.SpeedUp).ThenBy(r => r.Reducer, StringComparer.Ordinal).FirstOrDefault();
        return new TuneResult
        {
            Task = evaluation.Task, Budget = budget, Seed = options.Seed, Split = split,
            Candidates = timed, Pareto = Pareto(timed, budget), Chosen = chosen,
            HeldOut = heldRows, ChosenHeldOut = chosenHeld, HeldOutValue = heldValue, HeldOutMeets = budget.Meets(heldValue), BestConstant = bestConstant,
            Planned = planned, Skipped = skipped, StoppedByTime = stopped, Elapsed = clock(),
        };
    }

    /// <summary>
    /// Times the shortlist against dense in one interleaved run on the calibration split: <paramref name="candidates"/> with
    /// the shortlisted ones' speed filled in, and the fastest inside the budget (ties as <see cref="Tuner"/> says), or null.
    /// </summary>
    static (List<TuneCandidate>, TuneCandidate?) TimeShortlist(ITaskEvaluation calibration, List<TuneCandidate> candidates, TuneOptions options, int planned, Action<TuneProgress>? progress)
    {
        var budget = options.Budget;
        var meeting = candidates.Skip(1).Where(c => c.Meets).ToList();
        if (meeting.Count == 0) return (candidates, null);
        double cheapest = meeting.Min(c => c.GMacs);
        var shortlist = meeting.Where(c => c.GMacs <= cheapest * (1 + options.NearTie))
            .OrderBy(c => c.GMacs).ThenBy(c => c.Spec, StringComparer.Ordinal).Take(options.MaxTimed).ToList();
        foreach (var constant in StrongestConstants(meeting, 1))
            if (!shortlist.Contains(constant)) shortlist.Add(constant);

        int items = Math.Min(options.Speed.Items, calibration.Count);
        int rounds = options.Speed.WarmupRounds + InterleavedTiming.TimedRounds(shortlist.Count + 1, options.Speed.Rounds);
        int round = 0;
        var timings = calibration.Time(shortlist.Select(c => c.Reduction).ToArray(), options.Guidance, items, options.Speed.WarmupRounds, options.Speed.Rounds,
            () => progress?.Invoke(new TuneProgress("timing", ++round, rounds, candidates.Count - 1, planned, meeting.MinBy(c => c.GMacs)!.Spec)));
        var all = candidates.ToList();
        for (int i = 0; i < shortlist.Count; i++)
        {
            double median = timings[i + 1].Median;
            all[all.IndexOf(shortlist[i])] = shortlist[i] = shortlist[i] with { SpeedUp = timings[0].Median / median, ItemsPerSecond = items * 1000 / median };
        }
        all[0] = all[0] with { SpeedUp = 1, ItemsPerSecond = items * 1000 / timings[0].Median };
        double fastest = shortlist.Max(c => c.SpeedUp!.Value);
        var chosen = shortlist.Where(c => c.SpeedUp >= fastest * (1 - options.SpeedTie))
            .OrderBy(c => budget.HigherIsBetter ? -c.Value : c.Value).ThenBy(c => c.GMacs).ThenBy(c => c.Spec, StringComparer.Ordinal).First();
        return (all, chosen);
    }

    /// <summary>
    /// Dense, the chosen spec, each method's two strongest constant schedules inside the budget on calibration and the
    /// comparison specs, on the held-out split with speed from one interleaved run; and the constant specs' text.
    /// </summary>
    static (IReadOnlyList<ITaskResult>, HashSet<string>) ConfirmHeldOut(ITaskEvaluation heldOut, List<TuneCandidate> candidates, TuneCandidate? chosen,
        TuneOptions options, Action<TuneProgress>? progress, int planned)
    {
        var constants = StrongestConstants(candidates.Skip(1).Where(c => c.Meets), 2).Select(c => c.Reduction).ToList();
        var specs = new List<ModelReduction>();
        if (chosen != null) specs.Add(chosen.Reduction);
        foreach (var r in constants.Concat(options.Compare))
            if (!r.IsNone && !specs.Contains(r)) specs.Add(r);
        int steps = heldOut.StepsPerReducer * (specs.Count + 1), step = 0, round = 0;
        int rounds = options.Speed.WarmupRounds + InterleavedTiming.TimedRounds(specs.Count + 1, options.Speed.Rounds);
        string? best = chosen?.Spec;
        var rows = heldOut.Measure(specs, options.Guidance, options.Speed,
            () => progress?.Invoke(new TuneProgress("held-out", Interlocked.Increment(ref step), steps, candidates.Count - 1, planned, best)),
            () => progress?.Invoke(new TuneProgress("held-out timing", ++round, rounds, candidates.Count - 1, planned, best)));
        // A --compare spec with one r for every block counts as a constant schedule too (the comparison).
        return (rows, constants.Concat(options.Compare.Where(IsConstant)).Select(r => r.ToString()).ToHashSet());
    }

    /// <summary>Whether <paramref name="reduction"/> merges the same r in every block of the image tower (and leaves the text tower alone or alike).</summary>
    internal static bool IsConstant(ModelReduction reduction) =>
        reduction.Vision is MergingSpec { Schedule: { IsRatio: false, Text: var r } } && int.TryParse(r, out _)
        && (reduction.Text.IsNone || reduction.Text == reduction.Vision);

    /// <summary>Per method, its <paramref name="count"/> cheapest constant schedules among <paramref name="meeting"/>.</summary>
    static IEnumerable<TuneCandidate> StrongestConstants(IEnumerable<TuneCandidate> meeting, int count) =>
        meeting.Where(c => c.Family is { IsConstant: true }).GroupBy(c => c.Method)
            .SelectMany(g => g.OrderBy(c => c.GMacs).ThenBy(c => c.Spec, StringComparer.Ordinal).Take(count));

    /// <summary>One evaluation pass (dense first) on the calibration split, reporting each step.</summary>
    static IReadOnlyList<ITaskResult> Pass(ITaskEvaluation calibration, IReadOnlyList<ModelReduction> specs, ReductionGuidance? guidance, string stage,
        int candidate, int planned, TuneCandidate? best, Action<TuneProgress>? progress)
    {
        int steps = calibration.StepsPerReducer * (specs.Count + 1), step = 0;
        return calibration.Evaluate(specs, guidance, progress == null ? null
            : () => progress(new TuneProgress(stage, Interlocked.Increment(ref step), steps, candidate, planned, best?.Spec)));
    }

    /// <summary>Dense and the timed candidates that no other is at least as good as on both axes (and better on one), fastest first.</summary>
    static IReadOnlyList<TuneCandidate> Pareto(IReadOnlyList<TuneCandidate> candidates, TuneBudget budget)
    {
        var timed = candidates.Where(c => c.SpeedUp != null).ToList();
        bool AtLeast(TuneCandidate a, TuneCandidate b) => !budget.Better(b.Value, a.Value) && a.SpeedUp >= b.SpeedUp;
        return timed.Where(c => !timed.Any(d => d != c && AtLeast(d, c) && (budget.Better(d.Value, c.Value) || d.SpeedUp > c.SpeedUp)))
            .OrderByDescending(c => c.SpeedUp).ThenBy(c => c.Spec, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Most evaluations a bisection over <paramref name="levels"/> levels makes: ⌈log2(levels + 1)⌉.</summary>
    internal static int BisectionSteps(int levels) => (int)Math.Ceiling(Math.Log2(levels + 1));
}
