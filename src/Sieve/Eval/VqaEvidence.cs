namespace Sieve.Eval;

/// <summary>
/// What VQA needs of each question to score it (<see cref="VqaEvaluation"/>): its answer type, and per reducer its top
/// answer and that answer's VQA accuracy against the human answers, with its multiply-adds. The answer-type columns are
/// the types present among all the questions, so they are chosen only when the evidence of every question is together.
/// </summary>
/// <param name="Reducers">The specs as run, dense first.</param>
/// <param name="Types">Per question, its annotations' answer type, or null.</param>
/// <param name="Answers">Per reducer and question, the top answer's index in the model's answer list.</param>
/// <param name="Accuracy">Per reducer and question, the top answer's VQA accuracy, in [0, 1].</param>
/// <param name="Macs">Per reducer and question, the multiply-adds as executed.</param>
/// <param name="Seconds">Per reducer, the seconds its forwards took.</param>
internal sealed record VqaEvidence(string[] Reducers, string?[] Types, int[][] Answers, double[][] Accuracy, long[][] Macs, double[] Seconds) : ITaskEvidence
{
    /// <summary>VQA accuracy (overall and per answer type), agreement with dense and executed GMACs, per reducer, dense first.</summary>
    public IReadOnlyList<VqaResult> Results()
    {
        int n = Types.Length;
        var present = Types.OfType<string>().ToHashSet();
        string[] types = [.. VqaEvaluation.TypeOrder.Where(present.Contains), .. present.Except(VqaEvaluation.TypeOrder).Order(StringComparer.Ordinal)];
        return [.. Reducers.Select((spec, s) =>
        {
            var byType = types.Select(type =>
            {
                var of = Enumerable.Range(0, n).Where(q => Types[q] == type).ToArray();
                return new VqaTypeAccuracy(type, of.Length, of.Average(q => Accuracy[s][q]));
            }).ToArray();
            int same = Enumerable.Range(0, n).Count(q => Answers[s][q] == Answers[0][q]);
            return new VqaResult(spec, n, Accuracy[s].Average(), byType, same / (double)n, Embedder.GMacs(Macs[s]));
        })];
    }

    /// <summary>The parts, each the evidence of the questions after the previous part's, as one.</summary>
    public static VqaEvidence Join(IReadOnlyList<VqaEvidence> parts)
    {
        return parts[0] with
        {
            Types = [.. parts.SelectMany(p => p.Types)],
            Answers = TaskEvidence.JoinItems(parts, p => p.Answers),
            Accuracy = TaskEvidence.JoinItems(parts, p => p.Accuracy),
            Macs = TaskEvidence.JoinItems(parts, p => p.Macs),
            Seconds = TaskEvidence.SumSeconds(parts, p => p.Seconds),
        };
    }

    /// <summary>Null when every array has one entry per reducer and question (a file read back), else what is wrong.</summary>
    public string? Inconsistency()
    {
        int n = Types.Length, reducers = Reducers.Length;
        if (n == 0 || reducers == 0) return $"{n} questions and {reducers} reducers";
        if (Answers.Length != reducers || Accuracy.Length != reducers || Macs.Length != reducers || Seconds.Length != reducers)
            return $"{reducers} reducers but {Answers.Length} answer lists, {Accuracy.Length} accuracy lists, {Macs.Length} multiply-add lists and {Seconds.Length} times";
        if (Answers.Any(a => a is null || a.Length != n) || Accuracy.Any(a => a is null || a.Length != n || a.Any(x => !(x >= 0 && x <= 1))) || Macs.Any(m => m is null || m.Length != n))
            return $"{n} questions but a reducer without an answer, an accuracy in [0, 1] or multiply-adds for each";
        return null;
    }

    string ITaskEvidence.Task => "vqa";
    IReadOnlyList<string> ITaskEvidence.Reducers => Reducers;
    int ITaskEvidence.Items => Types.Length;
    IReadOnlyList<double> ITaskEvidence.Seconds => Seconds;
    IReadOnlyList<ITaskResult> ITaskEvidence.Score() => Results();
}
