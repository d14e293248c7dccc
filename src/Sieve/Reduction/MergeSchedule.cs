using System.Globalization;

namespace Sieve.Reduction;

/// <summary>
/// How many tokens a merging reducer removes in each block: a constant r, a per-layer list, a linear
/// ramp r_l = round(r_min + l·(r_max − r_min)/(L − 1)), or a ratio of the current candidates.
/// Always capped at ⌊candidates / 2⌋ (every source needs a distinct partner). Equal when written alike.
/// </summary>
public sealed class MergeSchedule : IEquatable<MergeSchedule>
{
    readonly int[]? _list;

    MergeSchedule(string text, Func<int, int, int, double> raw, int[]? list = null, bool isRatio = false)
    {
        Text = text;
        Raw = raw;
        _list = list;
        IsRatio = isRatio;
    }

    /// <summary>Whether r is a ratio of the current candidates.</summary>
    public bool IsRatio { get; }

    Func<int, int, int, double> Raw { get; }

    /// <summary>The schedule as written in a spec (<c>13</c>, <c>4..20</c>, <c>16/16/8</c>, or a ratio).</summary>
    public string Text { get; }

    /// <summary>r in every layer.</summary>
    public static MergeSchedule Constant(int r) =>
        r >= 0 ? new(r.ToString(CultureInfo.InvariantCulture), (_, _, _) => r) : throw new ArgumentOutOfRangeException(nameof(r), r, "r must not be negative");

    /// <summary>r_l from a list with one entry per layer.</summary>
    public static MergeSchedule PerLayer(IReadOnlyList<int> r)
    {
        if (r.Count == 0 || r.Any(v => v < 0)) throw new ArgumentException($"per-layer r must be non-negative numbers, got [{string.Join(", ", r)}]", nameof(r));
        var list = r.ToArray();
        return new(string.Join('/', list), (layer, _, _) => list[layer], list);
    }

    /// <summary>Linear ramp from r_min in the first layer to r_max in the last.</summary>
    public static MergeSchedule Ramp(int rMin, int rMax)
    {
        if (rMin < 0 || rMax < 0) throw new ArgumentOutOfRangeException(nameof(rMin), $"ramp {rMin}..{rMax} must not be negative");
        return new($"{rMin}..{rMax}", (layer, layers, _) => layers == 1 ? rMin : Math.Round(rMin + layer * (double)(rMax - rMin) / (layers - 1), MidpointRounding.ToEven));
    }

    /// <summary>round(ratio × current candidates) in every layer.</summary>
    public static MergeSchedule Ratio(double ratio) =>
        ratio is >= 0 and < 1
            ? new(ratio.ToString(CultureInfo.InvariantCulture), (_, _, candidates) => Math.Round(ratio * candidates, MidpointRounding.ToEven), isRatio: true)
            : throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "merge ratio must be in [0, 1)");

    /// <summary>Checks the schedule fits a tower of <paramref name="layers"/> blocks.</summary>
    public void Validate(int layers, string tower)
    {
        if (_list != null && _list.Length != layers)
            throw new ArgumentException($"schedule {Text} lists {_list.Length} layers, but the {tower} tower has {layers}");
    }

    /// <summary>
    /// Refuses a schedule that asks, in some block, for more merges than even the first block of a tower with
    /// <paramref name="candidates"/> mergeable tokens can give (⌊candidates / 2⌋): a request like r=1000 for 196
    /// patches would otherwise be capped silently into a different reduction. Ratios adapt and always pass.
    /// </summary>
    public void CheckFits(int layers, int candidates, string tower)
    {
        if (IsRatio) return;
        int most = candidates / 2;
        for (int layer = 0; layer < layers; layer++)
            if (Raw(layer, layers, candidates) > most)
                throw new ArgumentException($"r={Text} asks for more merges per block than the {tower} tower's {candidates} tokens can give: r is at most {most}");
    }

    /// <summary>Equal when of the same kind (a one-entry list is not a constant: it fits one depth only) and written the same.</summary>
    public bool Equals(MergeSchedule? other) =>
        other is not null && Text == other.Text && IsRatio == other.IsRatio && (_list == null) == (other._list == null);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as MergeSchedule);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Text, IsRatio);

    /// <summary>Tokens to merge in block <paramref name="layer"/> of <paramref name="layers"/>, capped for <paramref name="candidates"/>.</summary>
    public int For(int layer, int layers, int candidates) => (int)Math.Min(Raw(layer, layers, candidates), candidates / 2);
}
