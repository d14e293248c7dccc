using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;

namespace Sieve.Tests.Eval;

/// <summary>
/// VQA with a tiny generated ViLT: the model's answers are computed first, then annotations are written around them so
/// that the expected accuracy is known by hand from the official rules.
/// </summary>
public sealed class VqaEvaluationTests
{
    const int Answers = 7;

    /// <summary>Three images (one not square) and six questions, two per image sharing its pixels.</summary>
    static TowerInput[] Inputs()
    {
        var random = new Random(5);
        (int H, int W)[] sizes = [(32, 32), (32, 32), (32, 40)];
        var pixels = sizes.Select(s => Rand.Uniform(random, 3 * s.H * s.W)).ToArray();
        return Enumerable.Range(0, 6).Select(q =>
        {
            int image = q / 2;
            int[] ids = [TinyVilt.Id("[CLS]"), .. Enumerable.Range(0, 3 + q % 4).Select(_ => random.Next(5, 23)), TinyVilt.Id("[SEP]")];
            return TowerInput.Pair(ids, pixels[image], sizes[image].H, sizes[image].W);
        }).ToArray();
    }

    /// <summary>The highest logit, the lower index on a tie, by hand.</summary>
    static int TopAnswer(ViltModel model, TowerInput input)
    {
        var logits = model.AnswerLogits(new ViltInput(input.Ids!, input.Pixels!, input.Height, input.Width));
        return Enumerable.Range(0, logits.Length).OrderByDescending(a => logits[a]).ThenBy(a => a).First();
    }

    /// <summary>The official rule written out: mean over each of the humans left out of min(1, matches among the rest / 3).</summary>
    static double Official(string answer, IReadOnlyList<string> humans)
    {
        // The only variants used below are capitals and a final period, which the rules' normalisation removes.
        var same = humans.Select(h => h.ToLowerInvariant().TrimEnd('.') == answer).ToArray();
        return Enumerable.Range(0, humans.Count).Average(k => Math.Min(1.0, same.Where((m, j) => j != k && m).Count() / 3.0));
    }

    static string Label(int answer) => $"answer {answer}";

    /// <summary>
    /// Ten humans per question; <paramref name="matching"/>[q] of them give the dense answer (one of them as "Answer k.", which
    /// normalises to it), the rest another answer of the head, so a reducer that changes the answer can gain.
    /// </summary>
    static VqaQuestion[] Annotate(int[] dense, int[] matching, string?[] types) =>
        dense.Select((answer, q) =>
        {
            string[] humans = [.. Enumerable.Range(0, 10).Select(h => h >= matching[q] ? Label((answer + 1) % Answers) : h == 0 ? $"Answer {answer}." : Label(answer))];
            return new VqaQuestion(100 + q, q / 2, $"image{q / 2}.png", $"question {q}", humans, humans[^1], types[q]);
        }).ToArray();

    static readonly int[] Matching = [10, 2, 0, 3, 4, 1];
    static readonly string?[] Types = ["yes/no", "number", "other", "other", "yes/no", "other"];

    [Fact]
    public void AccuracyFollowsTheOfficialRulesOverallAndPerAnswerTypeAndAgreementIsWithDense()
    {
        using var ck = TinyVilt.Write(133, new TinyVilt.Shape(Answers: Answers, Match: false));
        var model = ViltModel.Load(ck.Directory);
        var inputs = Inputs();
        int[] dense = inputs.Select(i => TopAnswer(model, i)).ToArray();
        var evaluation = new VqaEvaluation(model, inputs, Annotate(dense, Matching, Types));
        var tome = ModelReduction.Parse("tome:r=5");
        var rows = evaluation.Evaluate([ModelReduction.None, tome]);
        Assert.Equal(["none", "none", "tome:r=5"], rows.Select(r => r.Reducer));

        // By the rules: 10 matching humans → 1, 2 → 0.6 ((2 · 1/3 + 8 · 2/3) / 10), 0 → 0, 3 → 0.9, 4 → 1, 1 → 0.3.
        double[] byHand = [1, 0.6, 0, 0.9, 1, 0.3];
        Assert.Equal(byHand.Average(), rows[0].Accuracy, 12);
        Assert.Equal([("yes/no", 2, 1.0), ("number", 1, 0.6), ("other", 3, 0.4)],
            rows[0].ByType.Select(t => (t.Type, t.Questions, Math.Round(t.Accuracy, 12))));
        Assert.Equal(1.0, rows[0].Agreement);
        ITaskResult shared = rows[0];
        Assert.Equal(["VQA acc", "yes/no", "number", "other"], shared.Metrics.Select(m => m.Name));
        Assert.Equal(100 * byHand.Average(), shared.Score!.Value, 9);
        Assert.Equal(TaskEvaluationTests.Json([rows[0]]), TaskEvaluationTests.Json([rows[1]]));

        // Executed multiply-adds of the dense model: each question's own length and image grid, VQA head included.
        double denseGMacs = inputs.Average(i => model.AnswerMacs(i.Ids!.Length, i.Height / 8, i.Width / 8)) / 1e9;
        Assert.Equal(denseGMacs, rows[0].GMacs, 15);
        Assert.True(rows[2].GMacs < denseGMacs);

        // The reduced row against its answers computed here, scored by the rule written out above.
        var reduced = model.WithReduction(tome);
        int[] answers = inputs.Select(i => TopAnswer(reduced, i)).ToArray();
        var questions = Annotate(dense, Matching, Types);
        Assert.True(answers.Where((a, q) => a != dense[q]).Any(), "the reducer must change some answer, or this check proves nothing");
        Assert.Equal(answers.Where((a, q) => a == dense[q]).Count() / 6.0, rows[2].Agreement, 12);
        Assert.Equal(answers.Select((a, q) => Official(Label(a), questions[q].Answers)).Average(), rows[2].Accuracy, 12);
    }

    [Fact]
    public void WithoutAnswerTypesOnlyTheOverallAccuracyIsReportedAndSubsetsAreFreshEvaluations()
    {
        using var ck = TinyVilt.Write(122, new TinyVilt.Shape(Answers: Answers));
        var model = ViltModel.Load(ck.Directory);
        var inputs = Inputs();
        var questions = Annotate(inputs.Select(i => TopAnswer(model, i)).ToArray(), Matching, new string?[6]);
        ITaskEvaluation full = new VqaEvaluation(model, inputs, questions);
        ModelReduction[] reducers = [ModelReduction.Parse("tome:r=3")];
        Assert.Equal(["VQA acc"], full.Evaluate(reducers)[1].Metrics.Select(m => m.Name));

        var subset = full.Subset([5, 1, 2]);
        ITaskEvaluation byHand = new VqaEvaluation(model, [inputs[5], inputs[1], inputs[2]], [questions[5], questions[1], questions[2]]);
        Assert.Equal((3, 3, "questions", "vqa"), (subset.Count, subset.StepsPerReducer, subset.ItemName, subset.Task));
        Assert.Equal(TaskEvaluationTests.Json(byHand.Evaluate(reducers)), TaskEvaluationTests.Json(subset.Evaluate(reducers)));
        // 0.3, 0.6 and 0 by the rules.
        Assert.Equal(100 * 0.9 / 3, subset.Evaluate([])[0].Score!.Value, 9);
    }

    [Fact]
    public void MeasureTimesQuestionsAndARefusedModelSaysWhatVqaNeeds()
    {
        using var ck = TinyVilt.Write(123, new TinyVilt.Shape(Answers: Answers));
        var model = ViltModel.Load(ck.Directory);
        var inputs = Inputs();
        ITaskEvaluation evaluation = new VqaEvaluation(model, inputs, Annotate(new int[6], Matching, Types));
        int steps = 0;
        var rows = evaluation.Measure([ModelReduction.Parse("tome:r=2")], speed: new SpeedOptions(items: 2, rounds: 2, warmupRounds: 0), progress: () => Interlocked.Increment(ref steps));
        Assert.Equal(2 * 6, steps);
        Assert.All(rows, r => Assert.True(r.ItemsPerSecond > 0 && r.SpeedUp > 0));
        Assert.Null(rows[0].Cosine);

        using var matchOnly = TinyVilt.Write(124, new TinyVilt.Shape(Answers: 0));
        var e = Assert.Throws<ArgumentException>(() => new VqaEvaluation(ViltModel.Load(matchOnly.Directory), inputs, Annotate(new int[6], Matching, Types)));
        Assert.Contains("VQA needs a model with a VQA head", e.Message);
    }
}
