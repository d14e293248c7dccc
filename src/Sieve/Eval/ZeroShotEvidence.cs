namespace Sieve.Eval;

/// <summary>
/// What CLIP zero-shot classification needs of each image to score it (<see cref="ZeroShotEvaluation"/>): its five best
/// classes against the prompt embeddings, which every part embeds alike, and its multiply-adds.
/// </summary>
/// <param name="Answers">The images' labels, top-5 lists, multiply-adds and times, per reducer, as a classifier's.</param>
/// <param name="PromptGMacs">Per reducer, the multiply-adds of embedding every prompt once, in billions.</param>
internal sealed record ZeroShotEvidence(ClassifierEvidence Answers, double[] PromptGMacs) : ITaskEvidence
{
    /// <summary>Top-1, top-5, agreement with dense and the image tower's GMACs per reducer, dense first, with the prompts' cost.</summary>
    public IReadOnlyList<ZeroShotResult> Results() =>
        [.. Answers.Results().Select((r, s) => new ZeroShotResult(r.Reducer, r.Images, r.Top1, r.Top5, r.Agreement, r.GMacs, PromptGMacs[s]))];

    /// <summary>The parts, each the evidence of the images after the previous part's, as one.</summary>
    public static ZeroShotEvidence Join(IReadOnlyList<ZeroShotEvidence> parts) => parts[0] with { Answers = ClassifierEvidence.Join([.. parts.Select(p => p.Answers)]) };

    /// <summary>Null when the parts fit together (a file read back), else what is wrong.</summary>
    public string? Inconsistency() =>
        Answers.Inconsistency() ?? (PromptGMacs.Length == Answers.Reducers.Length ? null : $"{Answers.Reducers.Length} reducers but {PromptGMacs.Length} prompt costs");

    string ITaskEvidence.Task => "zeroshot";
    IReadOnlyList<string> ITaskEvidence.Reducers => Answers.Reducers;
    int ITaskEvidence.Items => Answers.Labels.Length;
    IReadOnlyList<double> ITaskEvidence.Seconds => Answers.Seconds;
    IReadOnlyList<ITaskResult> ITaskEvidence.Score() => Results();
}
