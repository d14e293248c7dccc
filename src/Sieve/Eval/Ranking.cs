using System.Numerics;

namespace Sieve.Eval;

/// <summary>
/// The best few candidates of one query, the rule every ranking metric shares: higher score first, equal scores
/// in ascending index order (the lower index ranks ahead), so results never depend on sort stability or threads.
/// </summary>
internal static class Ranking
{
    /// <summary>
    /// Indices of the <paramref name="k"/> highest <paramref name="scores"/>, best first, ties broken by the lower index.
    /// Fewer than <paramref name="k"/> candidates give them all (k is clamped). O(n·k), for the small k of R@K.
    /// </summary>
    /// <param name="scores">One score per candidate; NaN is refused (it has no rank).</param>
    /// <param name="k">How many, at least 1.</param>
    /// <param name="exclude">A candidate left out (the query itself, for nearest neighbours), or -1.</param>
    public static int[] Top<T>(ReadOnlySpan<T> scores, int k, int exclude = -1) where T : INumber<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int candidates = scores.Length - (exclude >= 0 && exclude < scores.Length ? 1 : 0);
        var top = new int[Math.Min(k, candidates)];
        int filled = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (i == exclude) continue;
            T s = scores[i];
            if (T.IsNaN(s)) throw new ArgumentException($"score {i} is NaN: it cannot be ranked", nameof(scores));
            // Only a strictly higher score moves ahead: an equal one was scanned later, so its index is higher.
            if (filled == top.Length && !(s > scores[top[^1]])) continue;
            int at = filled < top.Length ? filled++ : top.Length - 1;
            for (; at > 0 && s > scores[top[at - 1]]; at--) top[at] = top[at - 1];
            top[at] = i;
        }
        return top;
    }
}
