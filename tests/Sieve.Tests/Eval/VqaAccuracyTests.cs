using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>
/// Cases written from the official VQA evaluation rules (visualqa.org, "Evaluation"), worked out by hand:
/// with k of the ten humans matching, leaving out one of the k leaves k − 1 matches and leaving out one of the
/// other 10 − k leaves k, so accuracy = [k·min(1, (k−1)/3) + (10−k)·min(1, k/3)] / 10.
/// </summary>
public sealed class VqaAccuracyTests
{
    /// <summary>Ten human answers, the first <paramref name="matching"/> of them "dog", the rest other animals.</summary>
    static string[] Humans(int matching) =>
        [.. Enumerable.Repeat("dog", matching), .. new[] { "cat", "cow", "horse", "bird", "sheep", "goat", "fox", "owl", "bear", "pig" }.Take(10 - matching)];

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 0.3)] // (1·0 + 9·1/3)/10
    [InlineData(2, 0.6)] // (2·1/3 + 8·2/3)/10 = (2/3 + 16/3)/10
    [InlineData(3, 0.9)] // (3·2/3 + 7·1)/10 = (2 + 7)/10
    [InlineData(4, 1.0)] // (4·1 + 6·1)/10: every set of nine still holds three matches
    [InlineData(10, 1.0)]
    public void AccuracyIsTheLeaveOneOutMeanOfMinOneMatchesOverThree(int matching, double expected) =>
        Assert.Equal(expected, VqaAccuracy.Score("dog", Humans(matching)), 12);

    [Fact]
    public void NumberWordsBecomeDigits() =>
        // Three humans said "2": 0.9, reached only if "two" is read as "2".
        Assert.Equal(0.9, VqaAccuracy.Score("two", ["2", "2", "2", "3", "3", "3", "3", "4", "4", "4"]), 12);

    [Fact]
    public void ArticlesAreDropped()
    {
        Assert.Equal("dog", VqaAccuracy.Normalize("the dog"));
        Assert.Equal("apple", VqaAccuracy.Normalize("An Apple"));
        Assert.Equal("hat", VqaAccuracy.Normalize("a hat"));
        Assert.Equal(1.0, VqaAccuracy.Score("the dog", Enumerable.Repeat("dog", 10).ToArray()));
    }

    [Fact]
    public void ATrailingPeriodIsRemovedEvenWhenAllHumansAgree() =>
        Assert.Equal(1.0, VqaAccuracy.Score("yes.", Enumerable.Repeat("yes", 10).ToArray()));

    [Fact]
    public void ADecimalPointIsKept()
    {
        Assert.Equal("2.5", VqaAccuracy.Normalize("2.5"));
        Assert.NotEqual(VqaAccuracy.Normalize("25"), VqaAccuracy.Normalize("2.5"));
    }

    [Fact]
    public void ACommaInsideANumberIsRemovedNotSpaced()
    {
        Assert.Equal("1000", VqaAccuracy.Normalize("1,000"));
        Assert.Equal(1.0, VqaAccuracy.Score("1,000", Enumerable.Repeat("1000", 10).ToArray()));
    }

    [Fact]
    public void PunctuationBetweenWordsBecomesASpaceAndBesideASpaceIsRemoved()
    {
        Assert.Equal("black and white", VqaAccuracy.Normalize("black-and-white"));
        Assert.Equal("left right", VqaAccuracy.Normalize("left,right"));
        Assert.Equal("left right", VqaAccuracy.Normalize("left, right"));
        Assert.Equal("yes", VqaAccuracy.Normalize("yes!"));
    }

    [Fact]
    public void ApostropheAndColonAreKept()
    {
        Assert.Equal("man's", VqaAccuracy.Normalize("man's"));
        Assert.Equal("10:30", VqaAccuracy.Normalize("10:30"));
    }

    [Fact]
    public void AContractionMissingItsApostropheIsRestored()
    {
        Assert.Equal("don't know", VqaAccuracy.Normalize("dont know"));
        Assert.Equal("it's", VqaAccuracy.Normalize("it's"));
        Assert.Equal("o'clock", VqaAccuracy.Normalize("oclock"));
    }

    [Fact]
    public void CaseAndSpacingDoNotMatter()
    {
        Assert.Equal("red", VqaAccuracy.Normalize("  RED\n"));
        Assert.Equal("red white", VqaAccuracy.Normalize("Red\t white"));
    }

    [Fact]
    public void HumanAnswersAreNormalisedToo() =>
        // Only the normalised "the dog" and "Dog." of the humans match the prediction: two humans, 0.6.
        Assert.Equal(0.6, VqaAccuracy.Score("dog", ["the dog", "Dog.", "cat", "cat", "cat", "cat", "cat", "cat", "cat", "cat"]), 12);
}
