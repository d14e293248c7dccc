namespace Sieve.Eval;

/// <summary>
/// Tuning's two disjoint splits of a task's items: a calibration split the search evaluates candidates on, and a
/// held-out split it never sees, on which only the chosen spec is reported.
/// </summary>
/// <param name="Calibration">Item indices searched on, ascending.</param>
/// <param name="HeldOut">Item indices held out, ascending.</param>
public sealed record TuneSplit(IReadOnlyList<int> Calibration, IReadOnlyList<int> HeldOut)
{
    /// <summary>
    /// Shuffles 0 … <paramref name="count"/> − 1 with a seeded Fisher–Yates (<see cref="Random"/>(seed), the same on every
    /// machine) and holds out the first round(count × <paramref name="heldOutFraction"/>) of them, at least one and
    /// leaving at least one; both splits are returned in ascending order, so the first items of each (which timing uses)
    /// follow from the seed alone.
    /// </summary>
    /// <param name="count">Items of the task (at least 2).</param>
    /// <param name="heldOutFraction">Share held out, in (0, 1).</param>
    /// <param name="seed">Seed of the shuffle.</param>
    public static TuneSplit Make(int count, double heldOutFraction, int seed)
    {
        if (count < 2) throw new ArgumentException($"tuning needs at least 2 items to split into calibration and held-out, got {count}");
        if (!(heldOutFraction is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction, "the held-out share must be in (0, 1)");
        var order = Enumerable.Range(0, count).ToArray();
        var random = new Random(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        int held = Math.Clamp((int)Math.Round(count * heldOutFraction, MidpointRounding.ToEven), 1, count - 1);
        return new TuneSplit(order[held..].Order().ToArray(), order[..held].Order().ToArray());
    }
}
