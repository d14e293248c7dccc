namespace Sieve.Eval;

/// <summary>
/// What captioning needs of each image to score it (<see cref="CaptionEvaluation"/>): its human captions, and per
/// reducer the caption produced and its multiply-adds. CIDEr-D's document frequencies come from all the references at
/// once, so the metrics are computed only when the evidence of every image is together (<see cref="Results"/>).
/// </summary>
/// <param name="Reducers">The specs as run, dense first.</param>
/// <param name="References">Per image, its human captions.</param>
/// <param name="Captions">Per reducer and image, the caption produced.</param>
/// <param name="Macs">Per reducer and image, the multiply-adds as executed.</param>
/// <param name="Seconds">Per reducer, the seconds its captions took.</param>
internal sealed record CaptionEvidence(string[] Reducers, string[][] References, string[][] Captions, long[][] Macs, double[] Seconds) : ITaskEvidence
{
    /// <summary>CIDEr-D, BLEU-4, the share of captions identical to dense's and the mean executed GMACs, per reducer, dense first.</summary>
    public IReadOnlyList<CaptionResult> Results()
    {
        var dense = Captions[0];
        return [.. Reducers.Select((spec, s) => new CaptionResult(spec, References.Length, CaptionMetrics.Bleu4(Captions[s], References).Bleu4,
            CaptionMetrics.CiderD(Captions[s], References).CiderD, Captions[s].Where((c, i) => c == dense[i]).Count() / (double)References.Length,
            Macs[s].Average() / 1e9))];
    }

    /// <summary>The parts, each the evidence of the images after the previous part's, as one.</summary>
    public static CaptionEvidence Join(IReadOnlyList<CaptionEvidence> parts)
    {
        return parts[0] with
        {
            References = [.. parts.SelectMany(p => p.References)],
            Captions = TaskEvidence.JoinItems(parts, p => p.Captions),
            Macs = TaskEvidence.JoinItems(parts, p => p.Macs),
            Seconds = TaskEvidence.SumSeconds(parts, p => p.Seconds),
        };
    }

    /// <summary>Null when every array has one entry per reducer and image (a file read back), else what is wrong.</summary>
    public string? Inconsistency()
    {
        int n = References.Length, reducers = Reducers.Length;
        if (n == 0 || reducers == 0) return $"{n} images and {reducers} reducers";
        if (References.Any(r => r is null || r.Length == 0 || r.Any(c => c is null))) return "an image without reference captions";
        if (Captions.Length != reducers || Macs.Length != reducers || Seconds.Length != reducers)
            return $"{reducers} reducers but {Captions.Length} caption lists, {Macs.Length} multiply-add lists and {Seconds.Length} times";
        if (Captions.Any(c => c is null || c.Length != n || c.Any(t => t is null)) || Macs.Any(m => m is null || m.Length != n))
            return $"{n} images but a reducer without a caption or multiply-adds for each";
        return null;
    }

    string ITaskEvidence.Task => "caption";
    IReadOnlyList<string> ITaskEvidence.Reducers => Reducers;
    int ITaskEvidence.Items => References.Length;
    IReadOnlyList<double> ITaskEvidence.Seconds => Seconds;
    IReadOnlyList<ITaskResult> ITaskEvidence.Score() => Results();
}
