using System.Globalization;

namespace Sieve.Reduction;

/// <summary>
/// The text form of a <see cref="ReducerSpec"/>, <c>method[:key=value,…]</c>: checks the syntax and each value's
/// type here, and leaves the ranges to the records, whose messages it quotes after the spec.
/// </summary>
internal static class ReducerSpecParser
{
    static readonly Dictionary<string, string[]> Parameters = new()
    {
        [NoReduction.Name] = [],
        [ToMeSpec.Name] = ["r", "ratio", "prop"],
        [CrossGetSpec.Name] = ["r", "ratio", "prop"],
        [MadtpSpec.Name] = ["t", "target", "m", "seed", "prop"],
        [PumerSpec.Name] = ["layers", "p", "mi", "mt", "prop"],
    };

    /// <summary>Parses one tower's spec; errors name the spec, the parameter and what was expected.</summary>
    public static ReducerSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string spec = text.Trim();
        int colon = spec.IndexOf(':');
        string method = (colon < 0 ? spec : spec[..colon]).Trim().ToLowerInvariant();
        if (!Parameters.TryGetValue(method, out var allowed))
            throw new ArgumentException($"reducer spec '{Shown(text)}': unknown method '{Shown(method)}' (expected none, tome, crossget, madtp or pumer)");
        var values = Values(text, method, allowed);

        bool proportional = !values.TryGetValue("prop", out var prop) || prop switch
        {
            "on" or "true" => true,
            "off" or "false" => false,
            _ => throw new ArgumentException($"reducer spec '{Shown(text)}': prop must be on or off, got '{Shown(prop)}'"),
        };
        switch (method)
        {
            case NoReduction.Name:
                return ReducerSpec.None;
            case ToMeSpec.Name:
                return new ToMeSpec(Schedule(text, values, ToMeSpec.DefaultSchedule), proportional);
            case CrossGetSpec.Name:
                return new CrossGetSpec(Schedule(text, values, CrossGetSpec.DefaultSchedule), proportional);
            case PumerSpec.Name:
                var released = PumerOptions.Released;
                var layers = values.TryGetValue("layers", out var ls) ? ls.Split('/').Select(v => Integer(text, "layers", v)).ToArray() : released.Layers;
                var options = Wrap(text, "pumer", () => new PumerOptions(layers,
                    values.TryGetValue("p", out var p) ? Number(text, "p", p) : released.PruneRatio,
                    values.TryGetValue("mi", out var mi) ? Number(text, "mi", mi) : released.ImageMergeRatio,
                    values.TryGetValue("mt", out var mt) ? Number(text, "mt", mt) : released.TextMergeRatio));
                return new PumerSpec(options, proportional);
            default: // madtp
                double? temperature = values.TryGetValue("t", out var t) ? Number(text, "t", t) : null;
                double? target = values.TryGetValue("target", out var f) ? Number(text, "target", f) : temperature == null ? MadtpSpec.DefaultTarget : null;
                int m = values.TryGetValue("m", out var ms) ? Integer(text, "m", ms) : MagTokens.DefaultCount;
                int seed = values.TryGetValue("seed", out var ss) ? Integer(text, "seed", ss) : 0;
                return Wrap(text, null, () => new MadtpSpec(temperature, target, m, seed, proportional));
        }
    }

    static MergeSchedule Schedule(string text, Dictionary<string, string> values, string defaultR)
    {
        if (values.ContainsKey("r") && values.ContainsKey("ratio")) throw new ArgumentException($"reducer spec '{Shown(text)}': give r or ratio, not both");
        if (values.TryGetValue("ratio", out var ratio)) return Wrap(text, "ratio", () => MergeSchedule.Ratio(Number(text, "ratio", ratio)));
        string r = values.GetValueOrDefault("r", defaultR);
        return Wrap(text, "r", () =>
        {
            int dots = r.IndexOf("..", StringComparison.Ordinal);
            if (dots >= 0) return MergeSchedule.Ramp(Integer(text, "r", r[..dots]), Integer(text, "r", r[(dots + 2)..]));
            if (r.Contains('/')) return MergeSchedule.PerLayer(r.Split('/').Select(v => Integer(text, "r", v)).ToArray());
            return MergeSchedule.Constant(Integer(text, "r", r));
        });
    }

    /// <summary>Runs a constructor, quoting its refusal after the spec (and <paramref name="key"/>, when one names the value).</summary>
    static T Wrap<T>(string text, string? key, Func<T> make)
    {
        try { return make(); }
        catch (ArgumentException e) when (!e.Message.StartsWith("reducer spec", StringComparison.Ordinal))
        {
            throw new ArgumentException($"reducer spec '{Shown(text)}': {(key == null ? "" : key + ": ")}{FirstLine(e.Message)}");
        }
    }

    /// <summary>A spec as quoted in an error: a long one is cut, with its length, so a message stays one readable line.</summary>
    internal static string Shown(string text) => text.Length <= 80 ? text : $"{text[..60]}…{text[^12..]} ({text.Length:N0} characters)";

    /// <summary>The key=value parameters after the colon of <paramref name="text"/> (a spec of <paramref name="method"/>), each one of <paramref name="allowed"/>.</summary>
    internal static Dictionary<string, string> Values(string text, string method, string[] allowed)
    {
        string spec = text.Trim();
        int colon = spec.IndexOf(':');
        var values = new Dictionary<string, string>();
        if (colon >= 0)
            foreach (string part in spec[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=');
                string key = eq < 0 ? part : part[..eq].Trim().ToLowerInvariant();
                if (eq < 0 || eq == part.Length - 1) throw new ArgumentException($"reducer spec '{Shown(text)}': '{Shown(part)}' should be key=value");
                if (!allowed.Contains(key))
                    throw new ArgumentException($"reducer spec '{Shown(text)}': {method} has no parameter '{Shown(key)}'" + (allowed.Length > 0 ? $" (expected {string.Join(", ", allowed)})" : ""));
                if (!values.TryAdd(key, part[(eq + 1)..].Trim())) throw new ArgumentException($"reducer spec '{Shown(text)}': '{Shown(key)}' is given twice");
            }
        return values;
    }

    static string FirstLine(string message) => message.Split(" (Parameter")[0];

    internal static int Integer(string text, string key, string value) =>
        int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new ArgumentException($"reducer spec '{Shown(text)}': {key} must be a whole number, got '{Shown(value)}'");

    static double Number(string text, string key, string value) =>
        double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v : throw new ArgumentException($"reducer spec '{Shown(text)}': {key} must be a number, got '{Shown(value)}'");
}
