using System.Numerics.Tensors;
using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Reduction;

/// <summary>
/// CrossGET's complete-graph soft matching (ALGORITHMS.md §2a): every candidate may pair with every
/// other; a rank mask keeps only the higher-ranked end of a similar pair as a possible source, so the
/// merges form stars, never chains; importance lowers a token's chance of being a source. Tokens pair
/// only within their merge group (one modality), so a fusion model never merges text into image.
/// </summary>
internal static class CompleteGraphMatcher
{
    /// <summary>Plans merging <paramref name="r"/> tokens; returns per-token targets for <see cref="MergePlan.FromTargets"/>.</summary>
    /// <param name="metric">Normalised keys [N, width].</param>
    /// <param name="width">Metric width.</param>
    /// <param name="group">Per token, its merge group (<see cref="TokenSet.MergeGroups"/>); −1 takes no part.</param>
    /// <param name="importance">Empty, or I_i per token (subtracted from the source score).</param>
    /// <param name="r">Tokens to merge; at most ⌊candidates / 2⌋.</param>
    public static int[] Match(ReadOnlySpan<float> metric, int width, ReadOnlySpan<int> group, ReadOnlySpan<float> importance, int r)
    {
        int n = group.Length;
        var target = Enumerable.Range(0, n).ToArray();
        var candidates = Ranking.Candidates(group);
        if (r > candidates.Length / 2) throw new ArgumentOutOfRangeException(nameof(r), r, $"cannot merge {r} of {candidates.Length} candidates");
        if (!importance.IsEmpty && importance.Length != n) throw new ArgumentException($"{importance.Length} importances for {n} tokens", nameof(importance));
        if (r == 0) return target;

        // S over all tokens; the diagonal and pairs outside one group never take part.
        using var table = new Scratch(n * n);
        var s = table.Array;
        KeyMetric.Dots(metric, metric, width, table.Span);
        for (int i = 0; i < n; i++)
        {
            var row = table.Span.Slice(i * n, n);
            if (group[i] < 0) row.Fill(float.NegativeInfinity);
            else
            {
                row[i] = float.NegativeInfinity;
                for (int j = 0; j < n; j++)
                    if (group[j] != group[i]) row[j] = float.NegativeInfinity;
            }
        }

        // Foreign columns and the diagonal are −∞, so a candidate's best is the plain row maximum.
        var best = new float[n];
        foreach (int i in candidates) best[i] = TensorPrimitives.Max(table.Span.Slice(i * n, n));
        var rank = Ranking.Descending(candidates, best);

        var score = new float[n];
        for (int p = 0; p < rank.Length; p++)
        {
            int i = rank[p];
            float masked = Max(s.AsSpan(i * n, n), rank.AsSpan(p + 1));
            score[i] = masked - (importance.IsEmpty ? 0 : importance[i]);
        }
        var sources = Ranking.Descending(candidates.Where(i => float.IsFinite(score[i])), score).Take(r).ToHashSet();
        var destinations = candidates.Where(i => !sources.Contains(i)).ToArray();
        var groups = group.ToArray();
        foreach (int i in sources) target[i] = Ranking.ArgMax(destinations.Where(j => groups[j] == groups[i]), j => s[i * n + j]);
        return target;
    }

    static float Max(ReadOnlySpan<float> row, ReadOnlySpan<int> columns)
    {
        float m = float.NegativeInfinity;
        foreach (int j in columns) m = MathF.Max(m, row[j]);
        return m;
    }
}
