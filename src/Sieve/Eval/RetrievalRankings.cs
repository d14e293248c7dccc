using System.Numerics;
using System.Runtime.InteropServices;

namespace Sieve.Eval;

/// <summary>Recall at 1, 5 and 10 of one retrieval direction, each the share of queries that hit, in [0, 1].</summary>
internal sealed record Recall(double At1, double At5, double At10);

/// <summary>Image–text retrieval scores, as the CrossGET and MADTP papers report them.</summary>
/// <param name="ImageToText">Image queries: a hit at K when any of the image's texts is among its top K texts.</param>
/// <param name="TextToImage">Text queries: a hit at K when the text's image is among its top K images.</param>
internal sealed record RetrievalScores(Recall ImageToText, Recall TextToImage)
{
    /// <summary>The sum of the six recalls in percent (0 to 600), the papers' "RSUM".</summary>
    public double RSum => 100 * (ImageToText.At1 + ImageToText.At5 + ImageToText.At10 + TextToImage.At1 + TextToImage.At5 + TextToImage.At10);
}

/// <summary>Agreement of a reduced model's retrieval rankings with the dense model's, per direction and pooled.</summary>
/// <param name="ImageToText">Over the image queries.</param>
/// <param name="TextToImage">Over the text queries.</param>
/// <param name="Both">Over all queries of both directions, each query weighing the same.</param>
internal sealed record RetrievalAgreement(RankingAgreement ImageToText, RankingAgreement TextToImage, RankingAgreement Both);

/// <summary>
/// Each query's top 10 in both retrieval directions, from an image × text similarity matrix in which an image has
/// several correct texts (COCO: five captions) and a text exactly one image. Recall at K and agreement with the
/// dense model both come from these lists. Ties rank the lower index first (<see cref="Ranking"/>); a K beyond the
/// candidates is clamped (with 3 images, text→image R@5 and R@10 are R@3).
/// </summary>
internal sealed class RetrievalRankings
{
    readonly int[] _imageOfText;
    readonly IReadOnlyList<int[]>? _textCandidates, _imageCandidates;

    /// <summary>Per image query, the indices of its best texts, best first (at most 10).</summary>
    public IReadOnlyList<int[]> ImageQueries { get; }

    /// <summary>Per text query, the indices of its best images, best first (at most 10).</summary>
    public IReadOnlyList<int[]> TextQueries { get; }

    RetrievalRankings(int[] imageOfText, int[][] imageQueries, int[][] textQueries, IReadOnlyList<int[]>? textCandidates, IReadOnlyList<int[]>? imageCandidates)
    {
        _imageOfText = imageOfText;
        (_textCandidates, _imageCandidates) = (textCandidates, imageCandidates);
        ImageQueries = imageQueries;
        TextQueries = textQueries;
    }

    /// <summary>Ranks both directions, every query over all candidates of the other side.</summary>
    /// <param name="similarity">[images, texts]: higher is more alike (cosine for dual encoders, a matching score for fusion models).</param>
    /// <param name="imageOfText">For each text (column), the index of its image (row); every image needs at least one text.</param>
    public static RetrievalRankings Rank<T>(T[,] similarity, IReadOnlyList<int> imageOfText) where T : INumber<T> =>
        Rank(similarity, imageOfText, null, null);

    /// <summary>
    /// Ranks both directions, each query over its own candidates only: a fusion model scores only some pairs
    /// (<see cref="MatchingRetrievalEvaluation"/>), and cells outside a query's candidates are never read. Recall at K
    /// and the top-10 lists are over the candidates (K clamped to their number).
    /// </summary>
    /// <param name="similarity">[images, texts]: higher is more alike.</param>
    /// <param name="imageOfText">For each text (column), the index of its image (row); every image needs at least one text.</param>
    /// <param name="textCandidates">Null (all texts), or per image query its candidate texts, ascending, all its own texts among them.</param>
    /// <param name="imageCandidates">Null (all images), or per text query its candidate images, ascending, its own image among them.</param>
    public static RetrievalRankings Rank<T>(T[,] similarity, IReadOnlyList<int> imageOfText, IReadOnlyList<int[]>? textCandidates, IReadOnlyList<int[]>? imageCandidates)
        where T : INumber<T>
    {
        int images = similarity.GetLength(0), texts = similarity.GetLength(1);
        if (images == 0 || texts == 0) throw new ArgumentException($"the similarity matrix is {images} × {texts}: retrieval needs at least one image and one text", nameof(similarity));
        if (imageOfText.Count != texts) throw new ArgumentException($"{texts} texts in the similarity matrix but {imageOfText.Count} image indices", nameof(imageOfText));
        var textsPerImage = new int[images];
        for (int t = 0; t < texts; t++)
        {
            int i = imageOfText[t];
            if (i < 0 || i >= images) throw new ArgumentException($"text {t} belongs to image {i}, outside the {images} images", nameof(imageOfText));
            textsPerImage[i]++;
        }
        int orphan = Array.IndexOf(textsPerImage, 0);
        if (orphan >= 0) throw new ArgumentException($"image {orphan} has no text: an image query without a correct answer cannot be scored", nameof(imageOfText));
        CheckCandidates(textCandidates, images, texts, "image", "text", (i, c) => c.Count(t => imageOfText[t] == i) == textsPerImage[i], nameof(textCandidates));
        CheckCandidates(imageCandidates, texts, images, "text", "image", (t, c) => Array.BinarySearch(c, imageOfText[t]) >= 0, nameof(imageCandidates));
        for (int i = 0; i < images; i++)
            foreach (int t in textCandidates?[i] ?? Enumerable.Range(0, texts))
                if (T.IsNaN(similarity[i, t])) throw new ArgumentException($"similarity[{i}, {t}] is NaN", nameof(similarity));
        if (imageCandidates != null)
            for (int t = 0; t < texts; t++)
                foreach (int i in imageCandidates[t])
                    if (T.IsNaN(similarity[i, t])) throw new ArgumentException($"similarity[{i}, {t}] is NaN", nameof(similarity));

        var imageQueries = new int[images][];
        for (int i = 0; i < images; i++)
            imageQueries[i] = Top(MemoryMarshal.CreateReadOnlySpan(ref similarity[i, 0], texts), textCandidates?[i]);
        var textQueries = new int[texts][];
        var column = new T[images];
        for (int t = 0; t < texts; t++)
        {
            for (int i = 0; i < images; i++) column[i] = similarity[i, t];
            textQueries[t] = Top<T>(column, imageCandidates?[t]);
        }
        return new RetrievalRankings(imageOfText.ToArray(), imageQueries, textQueries, textCandidates, imageCandidates);
    }

    /// <summary>
    /// The image queries of <paramref name="imageQueries"/> with the text queries of <paramref name="textQueries"/>: two
    /// rankings over the same images and texts and all candidates, each direction scored by its own matrix (re-ranking).
    /// </summary>
    public static RetrievalRankings Join(RetrievalRankings imageQueries, RetrievalRankings textQueries)
    {
        if (!imageQueries._imageOfText.AsSpan().SequenceEqual(textQueries._imageOfText) || imageQueries._textCandidates != null || textQueries._imageCandidates != null)
            throw new ArgumentException("the two rankings are over other images, texts or candidates");
        return new RetrievalRankings(imageQueries._imageOfText, [.. imageQueries.ImageQueries], [.. textQueries.TextQueries], null, null);
    }

    /// <summary>The best <see cref="RankingAgreement.ListLength"/> of <paramref name="scores"/>, among <paramref name="candidates"/> (ascending, so ties still go to the lower index) or all.</summary>
    static int[] Top<T>(ReadOnlySpan<T> scores, int[]? candidates) where T : INumber<T>
    {
        int k = RankingAgreement.ListLength;
        if (candidates == null) return Ranking.Top(scores, k);
        var gathered = new T[candidates.Length];
        for (int c = 0; c < candidates.Length; c++) gathered[c] = scores[candidates[c]];
        return Array.ConvertAll(Ranking.Top<T>(gathered, k), c => candidates[c]);
    }

    static void CheckCandidates(IReadOnlyList<int[]>? candidates, int queries, int pool, string query, string candidate, Func<int, int[], bool> holdsCorrect, string name)
    {
        if (candidates == null) return;
        if (candidates.Count != queries) throw new ArgumentException($"{candidates.Count} candidate lists for {queries} {query} queries", name);
        for (int q = 0; q < queries; q++)
        {
            var c = candidates[q];
            for (int j = 0; j < c.Length; j++)
                if (c[j] < 0 || c[j] >= pool || (j > 0 && c[j] <= c[j - 1]))
                    throw new ArgumentException($"{query} query {q}: candidate {candidate}s must be ascending, distinct and below {pool}", name);
            if (!holdsCorrect(q, c)) throw new ArgumentException($"{query} query {q}: its own {candidate}s must be among its candidates", name);
        }
    }

    /// <summary>Recall at 1, 5 and 10 in both directions.</summary>
    public RetrievalScores Scores() => new(
        RecallOf(ImageQueries, (image, text) => _imageOfText[text] == image),
        RecallOf(TextQueries, (text, image) => _imageOfText[text] == image));

    /// <summary>How closely these rankings (a reduced model's) follow <paramref name="dense"/>'s, on the same images and texts.</summary>
    public RetrievalAgreement AgreementWith(RetrievalRankings dense)
    {
        if (!_imageOfText.AsSpan().SequenceEqual(dense._imageOfText) || !SameCandidates(_textCandidates, dense._textCandidates) || !SameCandidates(_imageCandidates, dense._imageCandidates))
            throw new ArgumentException("the dense rankings are over other images, texts or candidates", nameof(dense));
        var imageToText = RankingAgreement.Of(ImageQueries, dense.ImageQueries);
        var textToImage = RankingAgreement.Of(TextQueries, dense.TextQueries);
        return new RetrievalAgreement(imageToText, textToImage, RankingAgreement.Pooled(imageToText, textToImage));
    }

    static bool SameCandidates(IReadOnlyList<int[]>? a, IReadOnlyList<int[]>? b) =>
        a == null ? b == null : b != null && a.Count == b.Count && a.Zip(b).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    /// <summary>Share of queries with a correct candidate among their first K, for K = 1, 5, 10 (clamped to the list).</summary>
    static Recall RecallOf(IReadOnlyList<int[]> queries, Func<int, int, bool> correct)
    {
        double At(int k) => queries.Select((top, q) => top.Take(k).Any(c => correct(q, c))).Count(hit => hit) / (double)queries.Count;
        return new Recall(At(1), At(5), At(10));
    }
}
