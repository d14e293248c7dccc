namespace Sieve.Models;

/// <summary>How well a text describes an image, by BLIP's two heads.</summary>
/// <param name="MatchProbability">The image–text matching (ITM) probability: softmax of <c>itm_head</c> on the fused [CLS], class 1.</param>
/// <param name="ContrastiveScore">The contrastive (ITC) score: cosine of the normalised projected image and text [CLS] embeddings, in [−1, 1].</param>
public readonly record struct BlipMatch(float MatchProbability, float ContrastiveScore);
