namespace Sieve.Eval;

/// <summary>The n-grams of a token sequence with their counts, keyed by the tokens joined with single spaces (tokens never hold one).</summary>
internal static class NGrams
{
    /// <summary>The counts of every n-gram of order <paramref name="n"/> in <paramref name="tokens"/>.</summary>
    public static Dictionary<string, int> Count(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            string gram = string.Join(' ', tokens.Skip(i).Take(n));
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }
}
