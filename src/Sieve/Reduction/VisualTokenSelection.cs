namespace Sieve.Reduction;

/// <summary>
/// The LLaVA-only reducer specs, in the <c>--reducer</c> syntax of the others: <c>visionzip[:dominant=N,contextual=N]</c>
/// (<see cref="VisionZipSpec"/>) and <c>fastv[:layer=K,keep=N]</c> (<see cref="FastVSpec"/>).
/// </summary>
internal static class VisualTokenSelection
{
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
