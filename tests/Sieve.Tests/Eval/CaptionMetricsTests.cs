using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>BLEU-4 and CIDEr-D on small cases whose expected values are worked out by hand in the comments.</summary>
public class CaptionMetricsTests
{
    const double Tolerance = 1e-12;

    static IReadOnlyList<string>[] Refs(params string[][] sets) => sets.Select(s => (IReadOnlyList<string>)s).ToArray();

    [Theory]
    [InlineData("A man's dog, running!", new[] { "a", "man", "'s", "dog", "running" })]
    [InlineData("Don't stop - it's \"black-and-white\"...", new[] { "do", "n't", "stop", "it", "'s", "black-and-white" })]
    [InlineData("  Two  cats (on a sofa) ; 3.5 ft ", new[] { "two", "cats", "on", "a", "sofa", "3.5", "ft" })]
    public void TokenizationLowersSplitsCliticsAndDropsPunctuation(string caption, string[] tokens) =>
        Assert.Equal(tokens, CaptionMetrics.Tokenize(caption));

    [Fact]
    public void Bleu4IsTheGeometricMeanOfTheClippedPrecisions()
    {
        // "a cat sat on the mat" vs "the cat sat on the mat": every n-gram but those starting with "a" matches:
        // p = 5/6, 4/5, 3/4, 2/3 (product 1/3); equal lengths, so BP = 1 and BLEU-4 = (1/3)^(1/4).
        var score = CaptionMetrics.Bleu4(["A cat sat on the mat."], Refs(["The cat sat on the mat."]));
        Assert.Equal([5.0 / 6, 4.0 / 5, 3.0 / 4, 2.0 / 3], score.Precisions);
        Assert.Equal(1.0, score.BrevityPenalty);
        Assert.Equal(Math.Pow(1.0 / 3, 0.25), score.Bleu4, Tolerance);
    }

    [Fact]
    public void BrevityPenaltyUsesTheClosestReferenceLengthAndTheShorterOnATie()
    {
        // 5 candidate tokens, all n-grams in the 6-token reference (p = 1): closest reference 6 → BP = exp(1 − 6/5).
        var shorter = CaptionMetrics.Bleu4(["cat sat on the mat"], Refs(["the cat sat on the mat", "a cat sat on a mat today , okay"]));
        Assert.Equal((5, 6), (shorter.CandidateLength, shorter.ReferenceLength));
        Assert.Equal(Math.Exp(-0.2), shorter.Bleu4, Tolerance);
        // References of 4 and 6 tokens are equally close to 5: the shorter counts, c > r, no penalty.
        var tie = CaptionMetrics.Bleu4(["cat sat on the mat"], Refs(["cat sat on mat", "the cat sat on the mat"]));
        Assert.Equal(4, tie.ReferenceLength);
        Assert.Equal(1.0, tie.Bleu4, Tolerance);
    }

    [Fact]
    public void CandidateCountsAreClippedAtTheMostAnyOneReferenceHolds()
    {
        // "the" ×4, at most 2 in one reference → 2/4; "the the" ×3, at most 1 → 1/3; no trigram matches, so BLEU-4 is 0.
        var score = CaptionMetrics.Bleu4(["the the the the"], Refs(["the cat", "the the dog"]));
        Assert.Equal([0.5, 1.0 / 3, 0, 0], score.Precisions);
        Assert.Equal(0, score.Bleu4);
    }

    [Fact]
    public void CorpusBleuSumsCountsOverCandidatesBeforeTakingPrecisions()
    {
        // The first pair as above (matches 5, 4, 3, 2 of 6, 5, 4, 3) plus a perfect 3-token one (3, 2, 1, 0 of 3, 2, 1, 0):
        // p = 8/9, 6/7, 4/5, 2/3, lengths 9 and 9.
        var score = CaptionMetrics.Bleu4(["a cat sat on the mat", "the dog ran"], Refs(["the cat sat on the mat"], ["the dog ran"]));
        Assert.Equal(Math.Pow(8.0 / 9 * 6 / 7 * 4 / 5 * 2 / 3, 0.25), score.Bleu4, Tolerance);
    }

    // CIDEr-D cases: two images, so log N = ln 2; an n-gram in both images' references has idf 0, one in one image's
    // (or none: df counts as 1) has idf ln 2. Orders with no n-gram on either side add 0, and the mean is over all four.

    [Fact]
    public void CiderDOfCaptionsEqualToTheirOnlyReference()
    {
        // "a" (idf 0), "cat", "a cat": unigram and bigram cosines 1, trigram and 4-gram 0 → 10 · (1 + 1) / 4 = 5 per image.
        var score = CaptionMetrics.CiderD(["a cat", "a dog"], Refs(["a cat"], ["a dog"]));
        Assert.Equal([5.0, 5.0], score.PerImage);
        Assert.Equal(5.0, score.CiderD, Tolerance);
    }

    [Fact]
    public void CiderDPenalisesLengthWithAGaussianOfSigma6()
    {
        // "a dog runs" vs "a dog": unigrams (0, ln2, ln2)·(0, ln2, 0) / (√2 ln2 · ln2) = 1/√2; bigrams ("a dog", "dog runs")
        // vs ("a dog") also 1/√2; length difference 1 → × exp(−1/72). Image 2: 10 · (2/√2) / 4 · exp(−1/72).
        var score = CaptionMetrics.CiderD(["a cat", "a dog runs"], Refs(["a cat"], ["a dog"]));
        double second = 10 * Math.Sqrt(2) / 4 * Math.Exp(-1.0 / 72);
        Assert.Equal(second, score.PerImage[1], Tolerance);
        Assert.Equal((5 + second) / 2, score.CiderD, Tolerance);
    }

    [Fact]
    public void CiderDClipsTheCandidatesWeightsAtTheReferences()
    {
        // "cat cat" vs "a cat": unigram weights (cat: 2 ln2) vs (a: 0, cat: ln2): min(2 ln2, ln2) · ln2 / (2 ln2 · ln2) = 1/2
        // (1 without clipping); the bigrams share nothing. 10 · (1/2) / 4 = 1.25.
        var score = CaptionMetrics.CiderD(["cat cat", "a dog"], Refs(["a cat"], ["a dog"]));
        Assert.Equal(1.25, score.PerImage[0], Tolerance);
    }

    [Fact]
    public void CiderDAveragesOverAnImagesReferences()
    {
        // "a cat" vs "a cat": 1 + 1. vs "a black cat": unigrams ln²2 / (ln2 · √2 ln2) = 1/√2, no shared bigram, length
        // difference 1. Image 1: 10 · (2 + exp(−1/72)/√2) / 4 / 2.
        var score = CaptionMetrics.CiderD(["a cat", "a dog"], Refs(["a cat", "a black cat"], ["a dog"]));
        Assert.Equal(10 * (2 + Math.Exp(-1.0 / 72) / Math.Sqrt(2)) / 4 / 2, score.PerImage[0], Tolerance);
    }

    [Fact]
    public void MismatchedInputsAreRefusedNamingTheProblem()
    {
        var e = Assert.Throws<ArgumentException>(() => CaptionMetrics.Bleu4(["a cat", "a dog"], Refs(["a cat"])));
        Assert.Contains("2 candidate captions but references for 1 images", e.Message);
        e = Assert.Throws<ArgumentException>(() => CaptionMetrics.CiderD(["a cat", "a dog"], Refs(["a cat"], [])));
        Assert.Contains("image 1 has no reference caption", e.Message);
    }
}
