namespace Sieve.Nn;

/// <summary>
/// What one reduction step does, decided before anything moves: for each current token, the output
/// slot it goes to and its weight in that slot's average. Planners (matchers, pruners) build plans;
/// <see cref="TokenSet.Apply"/> is the one routine that carries them out.
/// </summary>
public sealed class MergePlan
{
    /// <summary>Marks a token fused into the single extra token placed after all survivors (MADTP).</summary>
    public const int Fused = -1;

    /// <summary>Marks a token pruned away: it has no slot, and its size leaves the set (PuMer's pruning).</summary>
    public const int Dropped = -2;

    MergePlan(int[] slot, float[] weight, int outputCount)
    {
        Slot = slot;
        Weight = weight;
        OutputCount = outputCount;
    }

    /// <summary>Output index of every input token; <see cref="Dropped"/> for pruned ones.</summary>
    public IReadOnlyList<int> Slot { get; }

    /// <summary>Weight of every input token within its slot (only ratios within a slot matter).</summary>
    public IReadOnlyList<float> Weight { get; }

    /// <summary>Tokens after the step.</summary>
    public int OutputCount { get; }

    /// <summary>
    /// Builds a plan from per-token targets: <c>target[i] == i</c> keeps token i, <c>target[i] == j</c>
    /// merges it into the surviving token j, <see cref="Fused"/> fuses it into one new token after the
    /// survivors, <see cref="Dropped"/> removes it. Survivors keep their relative order unless
    /// <paramref name="order"/> gives another.
    /// </summary>
    /// <param name="target">Per-token target, as above.</param>
    /// <param name="weight">Per-token weight in its group's average; must be positive where groups form.</param>
    /// <param name="order">Empty, or every surviving token once, in the order the survivors take their slots (ToMe's reordering, §1 step 6).</param>
    public static MergePlan FromTargets(ReadOnlySpan<int> target, ReadOnlySpan<float> weight, ReadOnlySpan<int> order = default)
    {
        int n = target.Length;
        if (weight.Length != n) throw new ArgumentException($"{weight.Length} weights for {n} tokens", nameof(weight));
        var slot = new int[n];
        int survivors = 0;
        bool anyFused = false;
        for (int i = 0; i < n; i++)
        {
            if (target[i] == i) slot[i] = order.IsEmpty ? survivors++ : -1;
            else if (target[i] == Fused) anyFused = true;
            else if (target[i] == Dropped) slot[i] = Dropped;
            else if ((uint)target[i] >= (uint)n || target[target[i]] != target[i])
                throw new ArgumentException($"token {i} targets {target[i]}, which is not a surviving token", nameof(target));
        }
        if (!order.IsEmpty)
        {
            foreach (int i in order)
                slot[(uint)i < (uint)n && target[i] == i && slot[i] == -1 ? i : throw new ArgumentException($"order lists token {i}, which is not a surviving token or is listed twice", nameof(order))] = survivors++;
            int missing = Array.IndexOf(slot, -1);
            if (missing >= 0) throw new ArgumentException($"order leaves out surviving token {missing}", nameof(order));
        }
        for (int i = 0; i < n; i++)
            if (target[i] != i && target[i] != Dropped) slot[i] = target[i] == Fused ? survivors : slot[target[i]];
        return new MergePlan(slot, weight.ToArray(), survivors + (anyFused ? 1 : 0));
    }
}
