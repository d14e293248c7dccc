namespace Sieve.Reduction;

/// <summary>
/// The LLaVA-only reducer specs, in the <c>--reducer</c> syntax of the others: <c>visionzip[:dominant=N,contextual=N]</c>
/// (<see cref="VisionZipSpec"/>) and <c>fastv[:layer=K,keep=N]</c> (<see cref="FastVSpec"/>); and a LLaVA spec's parts
/// joined by <c>+</c>: at most one tower reducer, one VisionZip and one FastV (<c>tome:r=16+visionzip:dominant=108,contextual=20</c>).
/// </summary>
internal static class VisualTokenSelection
{
    /// <summary>The parts of a LLaVA <c>--reducer</c> text: the vision tower's spec (null when none is given), VisionZip's and FastV's.</summary>
    /// <exception cref="ArgumentException">A part is empty or bad, or a kind is given twice (named).</exception>
    public static (string? Tower, VisionZipSpec? VisionZip, FastVSpec? FastV) Parse(string text)
    {
        string? tower = null;
        VisionZipSpec? visionZip = null;
        FastVSpec? fastV = null;
        ArgumentException Twice(string what) => new($"reducer spec '{ReducerSpecParser.Shown(text)}': {what} is given twice; a LLaVA spec joins at most one tower reducer, one visionzip and one fastv with '+'");
        foreach (string part in text.Split('+', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0) throw new ArgumentException($"reducer spec '{ReducerSpecParser.Shown(text)}': a part joined by '+' is empty");
            if (!TryParse(part, out var zip, out var drop)) tower = tower == null ? part : throw Twice("a tower reducer");
            else if (zip != null) visionZip = visionZip == null ? zip : throw Twice("visionzip");
            else fastV = fastV == null ? drop : throw Twice("fastv");
        }
        return (tower, visionZip, fastV);
    }

    /// <summary>Whether <paramref name="text"/> names VisionZip or FastV; if so, the parsed spec in its out parameter (the other null).</summary>
    /// <exception cref="ArgumentException">It names one of them with a bad parameter (named).</exception>
    public static bool TryParse(string text, out VisionZipSpec? visionZip, out FastVSpec? fastV)
    {
        (visionZip, fastV) = (null, null);
        string method = text.Trim().Split(':')[0].Trim().ToLowerInvariant();
        int Value(Dictionary<string, string> values, string key, int fallback, int min) =>
            !values.TryGetValue(key, out var v) ? fallback
            : ReducerSpecParser.Integer(text, key, v) is var n && n >= min ? n
            : throw new ArgumentException($"reducer spec '{ReducerSpecParser.Shown(text)}': {key} must be at least {min}, got {n}");
        switch (method)
        {
            case "visionzip":
                var z = ReducerSpecParser.Values(text, method, ["dominant", "contextual"]);
                visionZip = new VisionZipSpec(Value(z, "dominant", 54, 0), Value(z, "contextual", 10, 0));
                if (visionZip is { Dominant: 0, Contextual: 0 }) throw new ArgumentException($"reducer spec '{ReducerSpecParser.Shown(text)}': keeps no token");
                return true;
            case "fastv":
                var f = ReducerSpecParser.Values(text, method, ["layer", "keep"]);
                fastV = new FastVSpec(Value(f, "layer", 2, 0), Value(f, "keep", 64, 0));
                return true;
            default:
                return false;
        }
    }
}
