namespace Sieve.Reduction;

/// <summary>Deterministic selection: ties always go to the lower token index.</summary>
internal static class Ranking
{
    /// <summary>The token indices <paramref name="items"/> ordered by <paramref name="score"/>, highest first, ties by index.</summary>
    public static int[] Descending(IEnumerable<int> items, float[] score)
    {
        var order = items.ToArray();
        Array.Sort(order, (p, q) => score[q].CompareTo(score[p]) is var c && c != 0 ? c : p.CompareTo(q));
        return order;
    }

    /// <summary>The item with the highest <paramref name="value"/>, the lowest index on ties; −1 if there are none.</summary>
    public static int ArgMax(IEnumerable<int> items, Func<int, float> value)
    {
        int best = -1;
        float bestValue = float.NegativeInfinity;
        foreach (int j in items)
        {
            float v = value(j);
            if (best < 0 || v > bestValue || (v == bestValue && j < best)) (best, bestValue) = (j, v);
        }
        return best;
    }

    /// <summary>Indices of the tokens in some merge group (group ≥ 0), in order.</summary>
    public static int[] Candidates(ReadOnlySpan<int> group)
    {
        var result = new List<int>(group.Length);
        for (int i = 0; i < group.Length; i++)
            if (group[i] >= 0) result.Add(i);
        return result.ToArray();
    }
}
