using Sieve.Nn;
namespace Sieve.Reduction;

/// <summary>
/// Which reducer runs in which tower of a model: a plain spec (<c>crossget:r=16</c>) applies to every
/// tower; <c>vision=crossget:r=16;text=tome:r=6</c> sets them separately (an unnamed tower stays dense).
/// </summary>
public sealed record ModelReduction
{
    ModelReduction(ReducerSpec vision, ReducerSpec text)
    {
        ArgumentNullException.ThrowIfNull(vision);
        ArgumentNullException.ThrowIfNull(text);
        Vision = vision;
        Text = text;
    }

    /// <summary>The dense model.</summary>
    public static ModelReduction None { get; } = new(ReducerSpec.None, ReducerSpec.None);

    /// <summary>The image tower's reducer.</summary>
    public ReducerSpec Vision { get; }

    /// <summary>The text tower's reducer.</summary>
    public ReducerSpec Text { get; }

    /// <summary>Whether every tower is dense.</summary>
    public bool IsNone => Vision.IsNone && Text.IsNone;

    /// <summary>The same spec for both towers.</summary>
    public static ModelReduction ForAll(ReducerSpec spec) => new(spec, spec);

    /// <summary>Separate specs per tower.</summary>
    public static ModelReduction PerTower(ReducerSpec vision, ReducerSpec text) => new(vision, text);

    /// <summary>Parses a model spec; errors name the part that is wrong.</summary>
    public static ModelReduction Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("reducer spec is empty (use 'none' for the dense model)");
        var parts = text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException($"reducer spec '{ReducerSpecParser.Shown(text)}' names no reducer (use 'none' for the dense model)");
        if (parts.Length == 1 && !HasTowerPrefix(parts[0])) return ForAll(ReducerSpec.Parse(parts[0]));
        ReducerSpec? vision = null, textSpec = null;
        foreach (string part in parts)
        {
            if (!HasTowerPrefix(part)) throw new ArgumentException($"reducer spec '{ReducerSpecParser.Shown(text)}': '{ReducerSpecParser.Shown(part)}' needs a tower, vision=… or text=…, when several are given");
            int eq = part.IndexOf('=');
            var spec = ReducerSpec.Parse(part[(eq + 1)..]);
            if (part[..eq].Trim().Equals("vision", StringComparison.OrdinalIgnoreCase))
                vision = vision == null ? spec : throw new ArgumentException($"reducer spec '{ReducerSpecParser.Shown(text)}': the vision tower is given twice");
            else
                textSpec = textSpec == null ? spec : throw new ArgumentException($"reducer spec '{ReducerSpecParser.Shown(text)}': the text tower is given twice");
        }
        return new ModelReduction(vision ?? ReducerSpec.None, textSpec ?? ReducerSpec.None);
    }

    /// <summary>The spec of <paramref name="tower"/>; a fusion tower takes one spec for its single stream.</summary>
    public ReducerSpec For(TowerInfo tower) => tower.Modality switch
    {
        Modality.Image => Vision,
        Modality.Text => Text,
        _ => Vision == Text ? Vision
            : throw new ArgumentException($"reducer spec '{this}': the {tower.Name} tower is one stream of text and image tokens; give one spec, not vision=…;text=…"),
    };

    /// <summary>Builds the reducer of <paramref name="tower"/>; null when it stays dense.</summary>
    public TokenReducer? Bind(TowerInfo tower, ReductionGuidance? guidance = null) => For(tower).Bind(tower, guidance);

    /// <summary>Canonical text form.</summary>
    public override string ToString() =>
        Vision == Text ? Vision.ToString()
        : string.Join(';', new[] { ("vision", Vision), ("text", Text) }.Where(p => !p.Item2.IsNone).Select(p => $"{p.Item1}={p.Item2}"));

    static bool HasTowerPrefix(string part)
    {
        int eq = part.IndexOf('='), colon = part.IndexOf(':');
        if (eq < 0 || (colon >= 0 && colon < eq)) return false;
        string name = part[..eq].Trim();
        return name.Equals("vision", StringComparison.OrdinalIgnoreCase) || name.Equals("text", StringComparison.OrdinalIgnoreCase);
    }
}
