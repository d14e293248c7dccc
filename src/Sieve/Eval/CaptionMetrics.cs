namespace Sieve.Eval;

/// <summary>
/// Captioning metrics against COCO-style references (several human captions per image), written from their published
/// definitions: corpus BLEU-4 (<see cref="Bleu4"/>) and CIDEr-D (<see cref="CiderD"/>). Captions are tokenized as
/// coco-caption does (<see cref="Tokenize"/>) before either is computed.
/// </summary>
public static class CaptionMetrics
{
    /// <summary>
    /// A caption's tokens as the metrics compare them: lower case, words split at whitespace, punctuation and the
    /// clitics <c>'s 're 've 'll 'd 'm n't</c> split off, punctuation tokens dropped (coco-caption's PTB tokenization).
    /// </summary>
    public static IReadOnlyList<string> Tokenize(string caption) => CaptionTokenizer.Tokenize(caption);

    /// <summary>Corpus BLEU-4 (Papineni et al., 2002) of <paramref name="candidates"/>, one per image, against each image's <paramref name="references"/>.</summary>
    /// <param name="candidates">The generated captions, one per image.</param>
    /// <param name="references">Each image's human captions (at least one), in the same order.</param>
    /// <exception cref="ArgumentException">The two lists differ in length, or an image has no reference.</exception>
    public static BleuScore Bleu4(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        var (c, r) = Tokenized(candidates, references);
        return Bleu.Score(c, r);
    }

    /// <summary>
    /// CIDEr-D (Vedantam et al., 2015; coco-caption's CiderD: σ = 6, clipping, × 10) of <paramref name="candidates"/> against
    /// each image's <paramref name="references"/>, with document frequencies over these references: the score depends on
    /// the whole set (one image alone scores 0, every n-gram then occurring in all images).
    /// </summary>
    /// <inheritdoc cref="Bleu4" path="/param"/>
    /// <inheritdoc cref="Bleu4" path="/exception"/>
    public static CiderScore CiderD(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        var (c, r) = Tokenized(candidates, references);
        return Eval.CiderD.Score(c, r);
    }

    static (IReadOnlyList<string>[] Candidates, IReadOnlyList<IReadOnlyList<string>>[] References) Tokenized(
        IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(references);
        if (candidates.Count != references.Count)
            throw new ArgumentException($"{candidates.Count} candidate captions but references for {references.Count} images; expected one candidate per image", nameof(references));
        for (int i = 0; i < references.Count; i++)
            if (references[i].Count == 0) throw new ArgumentException($"image {i} has no reference caption", nameof(references));
        return (candidates.Select(Tokenize).ToArray(), references.Select(set => (IReadOnlyList<IReadOnlyList<string>>)set.Select(Tokenize).ToArray()).ToArray());
    }
}
