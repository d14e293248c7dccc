using System.Diagnostics;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>VQA accuracy over the questions of one answer type.</summary>
/// <param name="Type">The annotations' <c>answer_type</c> (VQAv2: yes/no, number, other).</param>
/// <param name="Questions">Questions of this type.</param>
/// <param name="Accuracy">Their mean VQA accuracy, in [0, 1].</param>
internal sealed record VqaTypeAccuracy(string Type, int Questions, double Accuracy);

/// <summary>One reducer's VQA result.</summary>
/// <param name="Reducer">The spec as run.</param>
/// <param name="Questions">Questions answered.</param>
/// <param name="Accuracy">Mean official VQA accuracy of the top answer (<see cref="VqaAccuracy"/>), in [0, 1].</param>
/// <param name="ByType">The same per answer type, in <see cref="VqaEvaluation.TypeOrder"/>; empty when the annotations carry no types.</param>
/// <param name="Agreement">Share of questions whose top answer equals the dense model's.</param>
/// <param name="GMacs">Mean multiply-adds per question as executed, VQA head included, in billions.</param>
/// <param name="QuestionsPerSecond">Measured throughput, null when not timed.</param>
/// <param name="SpeedUp">Dense's median time ÷ this reducer's, from the same interleaved rounds; null when not timed.</param>
internal sealed record VqaResult(string Reducer, int Questions, double Accuracy, IReadOnlyList<VqaTypeAccuracy> ByType, double Agreement, double GMacs,
    double? QuestionsPerSecond = null, double? SpeedUp = null) : ITaskResult
{
    int ITaskResult.Items => Questions;
    IReadOnlyList<TaskMetric> ITaskResult.Metrics =>
        [new("vqaAccuracy", "VQA acc", 100 * Accuracy, 1), .. ByType.Select(t => new TaskMetric(TypeKey(t.Type), t.Type, 100 * t.Accuracy, 1))];

    /// <summary>A type's JSON key: "yes/no" → <c>accuracyYesNo</c>.</summary>
    static string TypeKey(string type) =>
        "accuracy" + string.Concat(NonWord.Split(type).Where(w => w.Length > 0).Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    static readonly System.Text.RegularExpressions.Regex NonWord = new(@"[^\p{L}\p{N}]+");
    double? ITaskResult.Score => 100 * Accuracy;
    double? ITaskResult.Cosine => null;
    double? ITaskResult.ItemsPerSecond => QuestionsPerSecond;
    ITaskResult ITaskResult.WithSpeed(double itemsPerSecond, double speedUp) => this with { QuestionsPerSecond = itemsPerSecond, SpeedUp = speedUp };
}

/// <summary>
/// Visual question answering with ViLT's VQA head: every question about its image answered by the dense model and by
/// each reducer, the top answer (highest logit, the lower index on a tie) scored with the official VQA accuracy
/// against the human answers (<see cref="VqaAccuracy"/>), overall and per answer type, and compared with dense's top
/// answer. Inputs are held in memory, preprocessed (questions about one image share its pixels).
/// </summary>
internal sealed class VqaEvaluation : IEvidenceEvaluation
{
    /// <summary>The order of answer-type columns: VQAv2's three types as the papers list them, then any other type in ordinal order.</summary>
    public static readonly IReadOnlyList<string> TypeOrder = ["yes/no", "number", "other"];

    readonly ViltModel _model;
    readonly IReadOnlyList<TowerInput> _inputs;
    readonly IReadOnlyList<VqaQuestion> _questions;
    readonly Embedder _answers = Embedder.Answers();

    /// <param name="model">The dense ViLT, with a VQA head.</param>
    /// <param name="inputs">Per question, its token ids with its image (<see cref="TowerInput.Pair"/>).</param>
    /// <param name="questions">Per question, the human answers (and answer type) it is scored against.</param>
    public VqaEvaluation(ViltModel model, IReadOnlyList<TowerInput> inputs, IReadOnlyList<VqaQuestion> questions)
    {
        if (!model.HasVqaHead) throw new ArgumentException("VQA needs a model with a VQA head (ViLT's classifier.*)", nameof(model));
        if (inputs.Count == 0) throw new ArgumentException("no questions to answer", nameof(inputs));
        if (inputs.Count != questions.Count) throw new ArgumentException($"{inputs.Count} inputs but {questions.Count} questions", nameof(questions));
        if (questions.FirstOrDefault(q => q.Answers.Count == 0) is { } bare) throw new ArgumentException($"question {bare.QuestionId} has no human answer", nameof(questions));
        (_model, _inputs, _questions) = (model, inputs, questions);
    }

    /// <summary>Questions evaluated.</summary>
    public int Questions => _inputs.Count;

    /// <summary>Dense, then each of <paramref name="reductions"/>: VQA accuracy (overall, per type), agreement with dense, executed GMACs (dense first).</summary>
    /// <param name="reductions">The reducers (ViLT's one fusion tower takes one spec).</param>
    /// <param name="guidance">Fitted guidance, or null.</param>
    /// <param name="progress">Called once per question and reducer run (from worker threads).</param>
    public IReadOnlyList<VqaResult> Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null) =>
        Collect(reductions, guidance, progress).Results();

    /// <summary>Dense, then each of <paramref name="reductions"/>: every question's top answer, its VQA accuracy and its multiply-adds, the evidence <see cref="Evaluate"/> scores.</summary>
    public VqaEvidence Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance = null, Action? progress = null)
    {
        var all = EmbeddingEvaluation.WithDense(reductions);
        var runs = all.Select(reduction =>
        {
            long began = Stopwatch.GetTimestamp();
            var (logits, macs) = _answers.Run(_model.WithReduction(reduction, guidance), _inputs, progress);
            var top = logits.Select(l => Ranking.Top<float>(l, 1)[0]).ToArray();
            var accuracy = top.Select((answer, q) => VqaAccuracy.Score(_model.Answers[answer], _questions[q].Answers)).ToArray();
            return (Top: top, Accuracy: accuracy, Macs: macs, Seconds: Stopwatch.GetElapsedTime(began).TotalSeconds);
        }).ToArray();
        return new VqaEvidence([.. all.Select(r => r.ToString())], [.. _questions.Select(q => q.AnswerType)], [.. runs.Select(r => r.Top)],
            [.. runs.Select(r => r.Accuracy)], [.. runs.Select(r => r.Macs)], [.. runs.Select(r => r.Seconds)]);
    }

    /// <summary>
    /// Times dense and each of <paramref name="reductions"/> on the first <paramref name="questions"/> questions with
    /// <see cref="InterleavedTiming"/>, dense first: each question with its image through the fusion tower and the VQA head.
    /// </summary>
    public IReadOnlyList<Timing> Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int questions, int warmupRounds, int rounds, Action? afterRound = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(questions, 1);
        var inputs = _inputs.Take(questions).ToArray();
        var cases = EmbeddingEvaluation.WithDense(reductions).Select(r => _answers.Timed(_model.WithReduction(r, guidance), inputs)).ToArray();
        return InterleavedTiming.Measure(cases, warmupRounds, rounds, afterRound);
    }

    string ITaskEvaluation.Task => "vqa";
    string ITaskEvaluation.ItemName => "questions";
    int ITaskEvaluation.Count => Questions;
    IModel ITaskEvaluation.Model => _model;
    int ITaskEvaluation.StepsPerReducer => Questions;
    IReadOnlyList<ITaskResult> ITaskEvaluation.Evaluate(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Evaluate(reductions, guidance, progress);
    ITaskEvidence IEvidenceEvaluation.Collect(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, Action? progress) => Collect(reductions, guidance, progress);

    ITaskEvaluation ITaskEvaluation.Subset(IReadOnlyList<int> items)
    {
        var chosen = TaskEvaluations.CheckSubset(items, Questions);
        return new VqaEvaluation(_model, chosen.Select(q => _inputs[q]).ToArray(), chosen.Select(q => _questions[q]).ToArray());
    }

    IReadOnlyList<Timing> ITaskEvaluation.Time(IReadOnlyList<ModelReduction> reductions, ReductionGuidance? guidance, int items, int warmupRounds, int rounds, Action? afterRound) =>
        Time(reductions, guidance, items, warmupRounds, rounds, afterRound);
}
