using Sieve.Nn;
using System.Globalization;

namespace Sieve.Reduction;

/// <summary>
/// One tower's reducer as a short spec: <c>none</c>, <c>tome:r=13</c>, <c>crossget:r=16</c>,
/// <c>madtp:target=0.5</c>, <c>madtp:t=0.02</c> or, on fusion models, <c>pumer</c>
/// (<c>pumer:layers=2/5/8,p=0.1,mi=0.3,mt=0.2</c>, the released setting). Merge schedules: <c>r=13</c>
/// (constant), <c>r=4..20</c> (linear ramp), <c>r=16/16/12/…</c> (one per layer) or <c>ratio=0.1</c> (of
/// the current candidates). Every method takes <c>prop=off</c> to switch proportional attention off.
/// </summary>
public sealed class ReducerSpec
{
    static readonly Dictionary<string, string[]> Parameters = new()
    {
        ["none"] = [],
        ["tome"] = ["r", "ratio", "prop"],
        ["crossget"] = ["r", "ratio", "prop"],
        ["madtp"] = ["t", "target", "m", "seed", "prop"],
        ["pumer"] = ["layers", "p", "mi", "mt", "prop"],
    };

    /// <summary>The dense model.</summary>
    public static readonly ReducerSpec None = new("none", null, null, null, 0, 0, true);

    ReducerSpec(string method, MergeSchedule? schedule, double? temperature, double? target, int tokens, int seed, bool proportional, PumerOptions? pumer = null)
    {
        Pumer = pumer;
        Method = method;
        Schedule = schedule;
        Temperature = temperature;
        Target = target;
        MagTokenCount = tokens;
        Seed = seed;
        ProportionalAttention = proportional;
    }

    /// <summary><c>none</c>, <c>tome</c>, <c>crossget</c>, <c>madtp</c> or <c>pumer</c>.</summary>
    public string Method { get; }

    /// <summary>Merge schedule (ToMe, CrossGET).</summary>
    public MergeSchedule? Schedule { get; }

    /// <summary>PuMer's layers and ratios.</summary>
    public PumerOptions? Pumer { get; }

    /// <summary>MADTP temperature, when given or calibrated.</summary>
    public double? Temperature { get; }

    /// <summary>MADTP compute target (fraction of dense multiply-adds) still to be calibrated into a temperature.</summary>
    public double? Target { get; }

    /// <summary>MADTP alignment tokens M when none are loaded.</summary>
    public int MagTokenCount { get; }

    /// <summary>Seed of untrained alignment tokens.</summary>
    public int Seed { get; }

    /// <summary>Whether attention adds log(size) to key logits after merges.</summary>
    public bool ProportionalAttention { get; }

    /// <summary>Whether this is the dense model.</summary>
    public bool IsNone => Method == "none";

    /// <summary>Whether a MADTP target still needs calibrating (<see cref="WithTemperature"/>).</summary>
    public bool NeedsCalibration => Method == "madtp" && Temperature == null;

    /// <summary>This MADTP spec with a calibrated temperature.</summary>
    public ReducerSpec WithTemperature(double temperature)
    {
        if (Method != "madtp") throw new InvalidOperationException($"{Method} has no temperature");
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be finite and ≥ 0");
        return new ReducerSpec(Method, null, temperature, Target, MagTokenCount, Seed, ProportionalAttention);
    }

    /// <summary>Parses one tower's spec; errors name the spec, the parameter and what was expected.</summary>
    public static ReducerSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string spec = text.Trim();
        int colon = spec.IndexOf(':');
        string method = (colon < 0 ? spec : spec[..colon]).Trim().ToLowerInvariant();
        if (!Parameters.TryGetValue(method, out var allowed))
            throw new ArgumentException($"reducer spec '{Shown(text)}': unknown method '{Shown(method)}' (expected none, tome, crossget, madtp or pumer)");
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

        bool proportional = !values.TryGetValue("prop", out var prop) || prop switch
        {
            "on" or "true" => true,
            "off" or "false" => false,
            _ => throw new ArgumentException($"reducer spec '{Shown(text)}': prop must be on or off, got '{Shown(prop)}'"),
        };
        switch (method)
        {
            case "none":
                return None;
            case "tome" or "crossget":
                if (values.ContainsKey("r") && values.ContainsKey("ratio")) throw new ArgumentException($"reducer spec '{Shown(text)}': give r or ratio, not both");
                var schedule = values.TryGetValue("ratio", out var ratio)
                    ? Wrap(text, "ratio", () => MergeSchedule.Ratio(Number(text, "ratio", ratio)))
                    : Wrap(text, "r", () => ParseSchedule(text, values.GetValueOrDefault("r", method == "tome" ? "13" : "16")));
                return new ReducerSpec(method, schedule, null, null, 0, 0, proportional);
            case "pumer":
                var released = PumerOptions.Released;
                var layers = values.TryGetValue("layers", out var ls) ? ls.Split('/').Select(v => Integer(text, "layers", v)).ToArray() : released.Layers;
                var pumer = Wrap(text, "pumer", () => new PumerOptions(layers,
                    values.TryGetValue("p", out var p) ? Number(text, "p", p) : released.PruneRatio,
                    values.TryGetValue("mi", out var mi) ? Number(text, "mi", mi) : released.ImageMergeRatio,
                    values.TryGetValue("mt", out var mt) ? Number(text, "mt", mt) : released.TextMergeRatio));
                return new ReducerSpec(method, null, null, null, 0, 0, proportional, pumer);
            default: // madtp
                if (values.ContainsKey("t") && values.ContainsKey("target")) throw new ArgumentException($"reducer spec '{Shown(text)}': give t or target, not both");
                double? temperature = values.TryGetValue("t", out var t) ? Number(text, "t", t) : null;
                if (temperature is < 0) throw new ArgumentException($"reducer spec '{Shown(text)}': t must be ≥ 0, got {Shown(t!)}");
                double? target = temperature == null ? Number(text, "target", values.GetValueOrDefault("target", "0.5")) : null;
                if (target is not null and (<= 0 or > 1)) throw new ArgumentException($"reducer spec '{Shown(text)}': target is a fraction of the dense GFLOPs in (0, 1], got {Shown(values["target"])}");
                int m = values.TryGetValue("m", out var ms) ? Integer(text, "m", ms) : MagTokens.DefaultCount;
                if (m < 1) throw new ArgumentException($"reducer spec '{Shown(text)}': m must be at least 1, got {m}");
                int seed = values.TryGetValue("seed", out var ss) ? Integer(text, "seed", ss) : 0;
                return new ReducerSpec(method, null, temperature, target, m, seed, proportional);
        }
    }

    /// <summary>Builds the reducer for a tower; null for <c>none</c>.</summary>
    /// <param name="tower">The tower it will run in.</param>
    /// <param name="guidance">Null (training-free / untrained), or fitted guidance for this model.</param>
    public TokenReducer? Bind(TowerInfo tower, ReductionGuidance? guidance = null) => Method switch
    {
        "none" => null,
        "tome" => new ToMeReducer(tower, Schedule!, ProportionalAttention),
        "crossget" => new CrossGetReducer(tower, Schedule!, guidance?.CrossTokenOffsets(tower), ProportionalAttention),
        "pumer" => new PumerReducer(tower, Pumer!, ProportionalAttention),
        _ when NeedsCalibration => throw new InvalidOperationException($"'{this}' must be calibrated to a temperature first (MadtpCalibration)"),
        _ => new MadtpReducer(tower, Temperature!.Value, guidance?.MagTokens ?? MagTokens.Random(tower.Width, MagTokenCount, Seed), guidance?.MagMaps(tower), ProportionalAttention),
    };

    /// <summary>The spec in its canonical text form (parses back to an equal spec).</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Schedule != null) parts.Add(Schedule.IsRatio ? $"ratio={Schedule.Text}" : $"r={Schedule.Text}");
        if (Temperature != null) parts.Add($"t={Temperature.Value.ToString("G6", CultureInfo.InvariantCulture)}");
        else if (Target != null) parts.Add($"target={Target.Value.ToString(CultureInfo.InvariantCulture)}");
        if (Method == "madtp" && MagTokenCount != MagTokens.DefaultCount) parts.Add($"m={MagTokenCount}");
        if (Method == "madtp" && Seed != 0) parts.Add($"seed={Seed}");
        if (Pumer != null && Pumer != PumerOptions.Released)
        {
            parts.Add($"layers={string.Join('/', Pumer.Layers)}");
            parts.Add(FormattableString.Invariant($"p={Pumer.PruneRatio},mi={Pumer.ImageMergeRatio},mt={Pumer.TextMergeRatio}"));
        }
        if (!ProportionalAttention) parts.Add("prop=off");
        return parts.Count == 0 ? Method : $"{Method}:{string.Join(',', parts)}";
    }

    static MergeSchedule ParseSchedule(string text, string value)
    {
        int dots = value.IndexOf("..", StringComparison.Ordinal);
        if (dots >= 0) return MergeSchedule.Ramp(Integer(text, "r", value[..dots]), Integer(text, "r", value[(dots + 2)..]));
        if (value.Contains('/')) return MergeSchedule.PerLayer(value.Split('/').Select(v => Integer(text, "r", v)).ToArray());
        return MergeSchedule.Constant(Integer(text, "r", value));
    }

    static T Wrap<T>(string text, string key, Func<T> make)
    {
        try { return make(); }
        catch (ArgumentException e) when (!e.Message.StartsWith("reducer spec", StringComparison.Ordinal)) { throw new ArgumentException($"reducer spec '{Shown(text)}': {key}: {FirstLine(e.Message)}"); }
    }

    /// <summary>A spec as quoted in an error: a long one is cut, with its length, so a message stays one readable line.</summary>
    internal static string Shown(string text) => text.Length <= 80 ? text : $"{text[..60]}…{text[^12..]} ({text.Length:N0} characters)";

    static string FirstLine(string message) => message.Split(" (Parameter")[0];

    static int Integer(string text, string key, string value) =>
        int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new ArgumentException($"reducer spec '{Shown(text)}': {key} must be a whole number, got '{Shown(value)}'");

    static double Number(string text, string key, string value) =>
        double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v : throw new ArgumentException($"reducer spec '{Shown(text)}': {key} must be a number, got '{Shown(value)}'");
}
