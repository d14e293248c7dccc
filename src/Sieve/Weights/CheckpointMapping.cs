namespace Sieve.Weights;

/// <summary>
/// A checkpoint in another project's layout mapped onto the one Sieve loads, decided before anything is written: each
/// source tensor's new name, or why it is left out — every tensor is in exactly one of the two — and the files the
/// source folder lacks (its <c>config.json</c>), written beside the converted weights.
/// </summary>
/// <param name="Layout">The source layout, for messages ("the Salesforce BLIP layout").</param>
/// <param name="Names">Source name → name in the converted checkpoint.</param>
/// <param name="LeftOut">Source name → why it is not in the converted checkpoint.</param>
/// <param name="Files">File name → text, written into the converted folder.</param>
internal sealed record CheckpointMapping(
    string Layout, IReadOnlyDictionary<string, string> Names, IReadOnlyDictionary<string, string> LeftOut, IReadOnlyDictionary<string, string> Files)
{
    /// <summary>Refuses a mapping that loses or duplicates a tensor of <paramref name="sourceNames"/>: a bug in the layout, never the user's.</summary>
    public void Check(IEnumerable<string> sourceNames)
    {
        var names = sourceNames.ToList();
        var unaccounted = names.Where(n => Names.ContainsKey(n) == LeftOut.ContainsKey(n)).ToList();
        if (unaccounted.Count > 0)
            throw new InvalidOperationException($"{Layout} mapping accounts for '{unaccounted[0]}' {(Names.ContainsKey(unaccounted[0]) ? "twice" : "not at all")}");
        var duplicate = Names.Values.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new InvalidOperationException($"{Layout} mapping writes '{duplicate.Key}' twice");
    }
}
