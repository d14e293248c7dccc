namespace Sieve.Eval;

/// <summary>What a classifier's evaluation needs of each image to score it (<see cref="ClassifierEvaluation"/>).</summary>
/// <param name="Reducers">The specs as run, dense first.</param>
/// <param name="Labels">True class per image.</param>
/// <param name="ReferenceTop1">Per image, the reference model's dense top-1 that agreement is measured against; null: the evaluated model's own dense (the first reducer).</param>
/// <param name="Top5">Per reducer and image, the five best classes, best first.</param>
/// <param name="Macs">Per reducer and image, the multiply-adds as executed.</param>
/// <param name="Seconds">Per reducer, the seconds its forwards took.</param>
internal sealed record ClassifierEvidence(string[] Reducers, int[] Labels, int[]? ReferenceTop1, int[][][] Top5, long[][] Macs, double[] Seconds) : ITaskEvidence
{
    /// <summary>Top-1, top-5 and agreement as shares of the images, and the mean executed GMACs, per reducer, dense first.</summary>
    public IReadOnlyList<EvalResult> Results()
    {
        int n = Labels.Length;
        var dense = ReferenceTop1 ?? Top5[0].Select(t => t[0]).ToArray();
        return Reducers.Select((spec, s) =>
        {
            var top = Top5[s];
            int top1 = 0, top5 = 0, agree = 0;
            long macs = 0;
            for (int i = 0; i < n; i++)
            {
                if (top[i][0] == Labels[i]) top1++;
                if (top[i].Contains(Labels[i])) top5++;
                if (top[i][0] == dense[i]) agree++;
                macs += Macs[s][i];
            }
            return new EvalResult(spec, n, top1 / (double)n, top5 / (double)n, agree / (double)n, macs / (double)n / 1e9);
        }).ToArray();
    }

    /// <summary>The parts, each the evidence of the images after the previous part's, as one.</summary>
    public static ClassifierEvidence Join(IReadOnlyList<ClassifierEvidence> parts)
    {
        var first = parts[0];
        return first with
        {
            Labels = [.. parts.SelectMany(p => p.Labels)],
            ReferenceTop1 = first.ReferenceTop1 == null ? null : [.. parts.SelectMany(p => p.ReferenceTop1!)],
            Top5 = TaskEvidence.JoinItems(parts, p => p.Top5),
            Macs = TaskEvidence.JoinItems(parts, p => p.Macs),
            Seconds = TaskEvidence.SumSeconds(parts, p => p.Seconds),
        };
    }

    /// <summary>Null when every array has one entry per reducer and image (a file read back), else what is wrong.</summary>
    public string? Inconsistency()
    {
        int n = Labels.Length, reducers = Reducers.Length;
        if (n == 0 || reducers == 0) return $"{n} images and {reducers} reducers";
        if (Top5.Any(t => t is null) || Macs.Any(m => m is null)) return "a reducer without its top-5 lists or multiply-adds";
        if (Top5.Length != reducers || Macs.Length != reducers || Seconds.Length != reducers)
            return $"{reducers} reducers but {Top5.Length} top-5 lists, {Macs.Length} multiply-add lists and {Seconds.Length} times";
        if (ReferenceTop1 != null && ReferenceTop1.Length != n) return $"{n} labels but {ReferenceTop1.Length} reference answers";
        if (Top5.Any(t => t.Length != n || t.Any(c => c is null || c.Length == 0)) || Macs.Any(m => m.Length != n))
            return $"{n} labels but a reducer without a top-5 list or multiply-adds for each image";
        return null;
    }

    string ITaskEvidence.Task => "classify";
    IReadOnlyList<string> ITaskEvidence.Reducers => Reducers;
    int ITaskEvidence.Items => Labels.Length;
    IReadOnlyList<double> ITaskEvidence.Seconds => Seconds;
    IReadOnlyList<ITaskResult> ITaskEvidence.Score() => Results();
}
