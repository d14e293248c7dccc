namespace Sieve.Reduction;

/// <summary>
/// FastV-style pruning of a LLaVA prompt's visual tokens inside the decoder (text form <c>fastv:layer=2,keep=64</c>):
/// layers up to <see cref="Layer"/> (0-based) see every token; after it only the <see cref="Keep"/> visual tokens the
/// prompt's last token attends to most in that layer (mean over heads, as FastV's implementation ranks them) go on,
/// with their positions; the text tokens always do. Later layers' prefill and key/value caches shrink in proportion.
/// </summary>
/// <param name="Layer">The decoder layer whose attention ranks the visual tokens; they are dropped after it.</param>
/// <param name="Keep">Visual tokens kept after it.</param>
public sealed record FastVSpec(int Layer = 2, int Keep = 64)
{
    /// <summary>
    /// The rows of a prefill of <paramref name="queries"/> new tokens that go on after <see cref="Layer"/>, in order:
    /// every row that is not <paramref name="visual"/>, and the <see cref="Keep"/> visual rows with the highest attention
    /// from the last row in <paramref name="probabilities"/> [heads, queries, keys] (the new rows are the last keys).
    /// </summary>
    internal int[] Kept(ReadOnlySpan<float> probabilities, int heads, int queries, int keys, bool[] visual)
    {
        var score = new double[queries];
        int last = queries - 1, offset = keys - queries;
        for (int h = 0; h < heads; h++)
            for (int j = 0; j < queries; j++) score[j] += probabilities[(h * queries + last) * keys + offset + j];
        var candidates = Enumerable.Range(0, queries).Where(j => visual[j]).ToArray();
        if (candidates.Length <= Keep) return Enumerable.Range(0, queries).ToArray();
        // Highest first; equal scores keep the earlier token.
        var kept = candidates.OrderByDescending(j => score[j]).ThenBy(j => j).Take(Keep).ToHashSet();
        return Enumerable.Range(0, queries).Where(j => !visual[j] || kept.Contains(j)).ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => $"fastv:layer={Layer},keep={Keep}";
}
