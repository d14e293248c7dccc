using Sieve.Nn;

namespace Sieve.Models;

/// <summary>
/// A dual encoder that also scores an image and a text together (BLIP's image–text matching head), so retrieval can
/// re-rank its contrastive shortlist as BLIP's own evaluation does.
/// </summary>
internal interface IPairMatcher : IDualEncoder
{
    /// <summary>
    /// The matching logit (class "match") of each of <paramref name="texts"/> for <paramref name="image"/>, the image
    /// encoded once; the bound reducers run, and <paramref name="hook"/> observes every forward.
    /// </summary>
    float[] MatchLogits(TowerInput image, IReadOnlyList<TowerInput> texts, BlockHook? hook = null);
}
