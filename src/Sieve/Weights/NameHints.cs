namespace Sieve.Weights;

/// <summary>Suggests the names closest to a mistyped one, for "did you mean" hints in error messages.</summary>
internal static class NameHints
{
    /// <summary>
    /// Up to <paramref name="max"/> candidates within an edit distance of a quarter of the name's length
    /// (at least 2), nearest first.
    /// </summary>
    public static IReadOnlyList<string> Closest(string name, IEnumerable<string> candidates, int max = 3)
    {
        int limit = Math.Max(2, name.Length / 4);
        return candidates
            .Select(c => (Name: c, Distance: EditDistance(name, c)))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Take(max)
            .Select(c => c.Name)
            .ToList();
    }

    /// <summary>Levenshtein distance, one row at a time.</summary>
    static int EditDistance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) row[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(above, row[j - 1]) + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
