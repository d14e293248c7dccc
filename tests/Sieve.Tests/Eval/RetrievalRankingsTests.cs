using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>Image–text recall at K and agreement with dense on similarity matrices written out by hand.</summary>
public sealed class RetrievalRankingsTests
{
    // 3 images × 6 texts, texts 0-1 of image 0, 2-3 of image 1, 4-5 of image 2.
    static readonly int[] TwoTextsEach = [0, 0, 1, 1, 2, 2];

    static readonly double[,] Small =
    {
        //  t0   t1   t2   t3   t4   t5
        { 0.2, 0.9, 0.1, 0.3, 0.0, 0.4 }, // image 0
        { 0.8, 0.1, 0.5, 0.2, 0.7, 0.6 }, // image 1
        { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 }, // image 2
    };

    [Fact]
    public void SmallMatrixRecallsWorkedByHand()
    {
        // Image queries (rows): image 0 → t1 .9, t5 .4, t3 .3, t0 .2, t2 .1, t4 0: t1 is its own → hit at 1.
        //   (Its first caption t0 is 4th: a rule that looked only at the first caption would miss at 1.)
        // image 1 → t0 .8, t4 .7, t5 .6, t2 .5, …: first own text (t2) 4th → miss at 1, hit at 5.
        // image 2 → t5 .6 first, its own → hit at 1.
        // I→T: R@1 = 2/3, R@5 = 3/3, R@10 = 3/3 (six texts: K = 10 clamped to 6).
        // Text queries (columns, 3 images, so K = 5 and 10 are clamped to 3 and every query hits):
        // t0 (.2 .8 .1) → image 1 first, own is 0: miss at 1. t1 (.9 .1 .2) → 0: hit. t2 (.1 .5 .3) → 1: hit.
        // t3 (.3 .2 .4) → 2 first, own 1 is 3rd: miss. t4 (0 .7 .5) → 1 first, own 2: miss.
        // t5 (.4 .6 .6): images 1 and 2 tie at .6, the lower index (1) ranks first, own is 2: miss.
        // T→I: R@1 = 2/6, R@5 = R@10 = 1. RSUM = 100 · (2/3 + 1 + 1 + 1/3 + 1 + 1) = 500.
        var rankings = RetrievalRankings.Rank(Small, TwoTextsEach);
        var s = rankings.Scores();
        Assert.Equal(2.0 / 3, s.ImageToText.At1, 12);
        Assert.Equal(1.0, s.ImageToText.At5, 12);
        Assert.Equal(1.0, s.ImageToText.At10, 12);
        Assert.Equal(2.0 / 6, s.TextToImage.At1, 12);
        Assert.Equal(1.0, s.TextToImage.At5, 12);
        Assert.Equal(1.0, s.TextToImage.At10, 12);
        Assert.Equal(500.0, s.RSum, 9);
        Assert.Equal([1, 5, 3, 0, 2, 4], rankings.ImageQueries[0]);
        Assert.Equal([1, 2, 0], rankings.TextQueries[5]); // the tie written out: 1 before 2
    }

    [Fact]
    public void FloatAndDoubleMatricesRankAlike()
    {
        var single = new float[3, 6];
        for (int i = 0; i < 3; i++) for (int t = 0; t < 6; t++) single[i, t] = (float)Small[i, t];
        var a = RetrievalRankings.Rank(single, TwoTextsEach);
        var b = RetrievalRankings.Rank(Small, TwoTextsEach);
        Assert.Equal(b.Scores(), a.Scores());
        Assert.Equal(b.ImageQueries, a.ImageQueries);
        Assert.Equal(b.TextQueries, a.TextQueries);
    }

    // 2 images × 12 texts: image 0 owns t0…t10, image 1 only t11.
    static readonly int[] ElevenAndOne = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    static double[,] Wide(double image1Text10 = 0.1) => new[,]
    {
        //  t0   t1   t2   t3   t4   t5   t6   t7   t8   t9   t10             t11
        { 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,            0.9 }, // image 0
        { 0.9, 0.8, 0.7, 0.6, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, image1Text10,   0.3 }, // image 1
    };

    [Fact]
    public void RecallAtFiveAndTenDifferWhenTheOwnTextIsSixth()
    {
        // Image 0 → t11 (.9, not its own) first, then t0 (.5, ties to the lower index): miss at 1, hit at 5.
        // Image 1 → t0 .9, t1 .8, t2 .7, t3 .6, t4 .5, then t11 .3 (its only text) 6th: miss at 5, hit at 10.
        // I→T: R@1 = 0, R@5 = 1/2, R@10 = 1.
        // Text queries over 2 images (K = 5, 10 clamped to 2, all hit): t0-t3 prefer image 1 (.9 .8 .7 .6 > .5): miss;
        // t4 ties .5/.5 → image 0, its own: hit; t5-t10 .5 > .1: hit; t11 (.9 vs .3) → image 0, own is 1: miss.
        // T→I: R@1 = 7/12, R@5 = R@10 = 1. RSUM = 100 · (0 + 1/2 + 1 + 7/12 + 1 + 1) = 350 + 700/12.
        var s = RetrievalRankings.Rank(Wide(), ElevenAndOne).Scores();
        Assert.Equal(0.0, s.ImageToText.At1, 12);
        Assert.Equal(0.5, s.ImageToText.At5, 12);
        Assert.Equal(1.0, s.ImageToText.At10, 12);
        Assert.Equal(7.0 / 12, s.TextToImage.At1, 12);
        Assert.Equal(1.0, s.TextToImage.At5, 12);
        Assert.Equal(1.0, s.TextToImage.At10, 12);
        Assert.Equal(350 + 700.0 / 12, s.RSum, 9);
    }

    [Fact]
    public void AgreementWithDenseCountsChangedTopOnesAndTopTenOverlap()
    {
        // Reduced = dense except image 1's score for t10 rises from .1 to .95.
        // Image 1, dense: t0 t1 t2 t3 t4 t11 t5 t6 t7 t8 (t9, t10 left out: the .1 ties go to lower indices).
        //          reduced: t10 t0 t1 t2 t3 t4 t11 t5 t6 t7 → top-1 differs; 9 of 10 shared (t8 out, t10 in).
        // Image 0 unchanged: top-1 same, overlap 10/10. I→T: top-1 1/2, overlap (1 + 0.9) / 2 = 0.95.
        // Text t10 (.5 vs .95 now) → image 1 instead of 0: top-1 differs, overlap 2/2. The other 11 texts unchanged.
        // T→I: top-1 11/12, overlap 1. Both: top-1 12/14, overlap (1.9 + 12) / 14.
        var dense = RetrievalRankings.Rank(Wide(), ElevenAndOne);
        var reduced = RetrievalRankings.Rank(Wide(image1Text10: 0.95), ElevenAndOne);
        var a = reduced.AgreementWith(dense);
        Assert.Equal(0.5, a.ImageToText.Top1, 12);
        Assert.Equal(0.95, a.ImageToText.OverlapAt10, 12);
        Assert.Equal(11.0 / 12, a.TextToImage.Top1, 12);
        Assert.Equal(1.0, a.TextToImage.OverlapAt10, 12);
        Assert.Equal(14, a.Both.Queries);
        Assert.Equal(12.0 / 14, a.Both.Top1, 12);
        Assert.Equal(13.9 / 14, a.Both.OverlapAt10, 12);

        var self = dense.AgreementWith(dense).Both;
        Assert.Equal((1.0, 1.0), (self.Top1, self.OverlapAt10));
    }

    // Small's queries over their own candidates only: each image's two texts plus one other, each text's image plus one other.
    static readonly int[][] TextCandidates = [[0, 1, 4], [0, 2, 3], [3, 4, 5]];
    static readonly int[][] ImageCandidates = [[0, 2], [0, 1], [1, 2], [0, 1], [0, 2], [1, 2]];

    [Fact]
    public void CandidateListsRankEachQueryOverItsOwnCandidatesOnly()
    {
        // Image queries: image 0 over t0 .2, t1 .9, t4 0 → t1 t0 t4: hit at 1 (over all six texts, t5 .4 was second).
        // Image 1 over t0 .8, t2 .5, t3 .2 → t0 t2 t3: miss at 1, hit at 5. Image 2 over t3 .4, t4 .5, t5 .6 → t5 t4 t3: hit.
        // I→T: R@1 = 2/3, R@5 = R@10 = 1.
        // Text queries: t0 over images 0 (.2), 2 (.1) → 0: hit (over all three, image 1's .8 won). t1 (0 .9, 1 .1) → 0: hit.
        // t2 (1 .5, 2 .3) → 1: hit. t3 (0 .3, 1 .2) → 0, own 1: miss. t4 (0 0, 2 .5) → 2: hit. t5 (1 .6, 2 .6) → tie, 1 first, own 2: miss.
        // T→I: R@1 = 4/6, R@5 = R@10 = 1. RSUM = 100 · (2/3 + 1 + 1 + 4/6 + 1 + 1) = 400 + 400/3.
        var rankings = RetrievalRankings.Rank(Small, TwoTextsEach, TextCandidates, ImageCandidates);
        var s = rankings.Scores();
        Assert.Equal(2.0 / 3, s.ImageToText.At1, 12);
        Assert.Equal(1.0, s.ImageToText.At5, 12);
        Assert.Equal(4.0 / 6, s.TextToImage.At1, 12);
        Assert.Equal(1.0, s.TextToImage.At10, 12);
        Assert.Equal(400 + 400.0 / 3, s.RSum, 9);
        Assert.Equal([1, 0, 4], rankings.ImageQueries[0]);
        Assert.Equal([0, 2, 3], rankings.ImageQueries[1]);
        Assert.Equal([1, 2], rankings.TextQueries[5]);
        Assert.Equal([2, 0], rankings.TextQueries[4]);

        // A cell no query has as a candidate is never read: NaN there changes nothing.
        var unread = (double[,])Small.Clone();
        unread[0, 2] = double.NaN;
        Assert.Equal(s, RetrievalRankings.Rank(unread, TwoTextsEach, TextCandidates, ImageCandidates).Scores());
        // Rankings over other candidates are not comparable.
        Assert.Throws<ArgumentException>(() => rankings.AgreementWith(RetrievalRankings.Rank(Small, TwoTextsEach)));
    }

    [Fact]
    public void CandidateListsMustHoldEachQuerysOwnAnswersInOrder()
    {
        string Error(int[][] texts, int[][] images) => Assert.Throws<ArgumentException>(() => RetrievalRankings.Rank(Small, TwoTextsEach, texts, images)).Message;
        Assert.Contains("image query 0: its own texts must be among its candidates", Error([[1, 4], [0, 2, 3], [3, 4, 5]], ImageCandidates));
        Assert.Contains("text query 3: its own images must be among its candidates", Error(TextCandidates, [[0, 2], [0, 1], [1, 2], [0, 2], [0, 2], [1, 2]]));
        Assert.Contains("image query 1: candidate texts must be ascending, distinct and below 6", Error([[0, 1, 4], [2, 0, 3], [3, 4, 5]], ImageCandidates));
        Assert.Contains("2 candidate lists for 3 image queries", Error(TextCandidates[..2], ImageCandidates));
        var nan = (double[,])Small.Clone();
        nan[1, 0] = double.NaN; // image 1's candidate t0
        Assert.Contains("similarity[1, 0] is NaN", Assert.Throws<ArgumentException>(() => RetrievalRankings.Rank(nan, TwoTextsEach, TextCandidates, ImageCandidates)).Message);
    }

    [Fact]
    public void BadInputIsRefusedWithTheReason()
    {
        string Error(double[,] m, int[] owners) => Assert.Throws<ArgumentException>(() => RetrievalRankings.Rank(m, owners)).Message;
        Assert.Contains("image 2 has no text", Error(Small, [0, 0, 1, 1, 1, 1]));
        Assert.Contains("text 5 belongs to image 3, outside the 3 images", Error(Small, [0, 0, 1, 1, 2, 3]));
        Assert.Contains("6 texts in the similarity matrix but 5 image indices", Error(Small, [0, 0, 1, 1, 2]));
        Assert.Contains("0 × 0", Error(new double[0, 0], []));
        var nan = (double[,])Small.Clone();
        nan[1, 4] = double.NaN;
        Assert.Contains("similarity[1, 4] is NaN", Error(nan, TwoTextsEach));
        var other = RetrievalRankings.Rank(Small, [0, 1, 1, 1, 2, 2]);
        Assert.Throws<ArgumentException>(() => RetrievalRankings.Rank(Small, TwoTextsEach).AgreementWith(other));
    }
}
