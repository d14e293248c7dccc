namespace Sieve.Eval;

/// <summary>What a dual encoder's retrieval evaluation needs to score it (<see cref="RetrievalEvaluation"/>): every image's and text's embedding.</summary>
/// <param name="Reducers">The specs as run, dense first.</param>
/// <param name="ImageOfText">For each text, the index of its image here.</param>
/// <param name="TextIds">For each text, its place among the whole task's texts, so that parts joined put the texts back in that order.</param>
/// <param name="ImageEmbeddings">Per reducer and image, its embedding.</param>
/// <param name="TextEmbeddings">Per reducer and text, its embedding.</param>
/// <param name="ImageMacs">Per reducer and image, the multiply-adds as executed.</param>
/// <param name="TextMacs">Per reducer and text, the multiply-adds as executed.</param>
/// <param name="Seconds">Per reducer, the seconds its forwards took.</param>
internal sealed record RetrievalEvidence(string[] Reducers, int[] ImageOfText, int[] TextIds, float[][][] ImageEmbeddings, float[][][] TextEmbeddings,
    long[][] ImageMacs, long[][] TextMacs, double[] Seconds) : ITaskEvidence
{
    /// <summary>Images covered.</summary>
    public int Images => ImageMacs[0].Length;

    /// <summary>
    /// Recall, agreement with dense and executed GMACs per reducer, dense first: ranked by cosine, or by
    /// <paramref name="rank"/> (reducer index, the cosine matrix → rankings and the GMACs per image it took).
    /// </summary>
    public IReadOnlyList<RetrievalResult> Results(Func<int, double[,], (RetrievalRankings Rankings, double GMacs)>? rank = null)
    {
        var results = new List<RetrievalResult>();
        RetrievalRankings? dense = null;
        for (int s = 0; s < Reducers.Length; s++)
        {
            var cosine = CosineSimilarity.Matrix(ImageEmbeddings[s], TextEmbeddings[s], "image", "text");
            var (rankings, rerankGMacs) = rank == null ? (RetrievalRankings.Rank(cosine, ImageOfText), (double?)null) : rank(s, cosine);
            dense ??= rankings;
            results.Add(new RetrievalResult(Reducers[s], Images, TextIds.Length, rankings.Scores(), rankings.AgreementWith(dense),
                Embedder.GMacs(ImageMacs[s]), Embedder.GMacs(TextMacs[s]), GMacsRerankPerImage: rerankGMacs));
        }
        return results;
    }

    /// <summary>
    /// The parts, each the evidence of the images after the previous part's with their texts, as one: images in order,
    /// texts back in the whole task's order (<see cref="TextIds"/>).
    /// </summary>
    /// <exception cref="SieveFormatException">The parts' texts are not the whole task's, each once.</exception>
    public static RetrievalEvidence Join(IReadOnlyList<RetrievalEvidence> parts)
    {
        var offsets = new int[parts.Count];
        for (int p = 1; p < parts.Count; p++) offsets[p] = offsets[p - 1] + parts[p - 1].Images;
        // Every text as (part, index in the part), in the whole task's order.
        var texts = parts.SelectMany((part, p) => part.TextIds.Select((id, t) => (Id: id, Part: p, Text: t))).OrderBy(x => x.Id).ToArray();
        for (int k = 0; k < texts.Length; k++)
            if (texts[k].Id != k)
                throw new SieveFormatException($"the parts' texts are not the task's {texts.Length} texts each once: text {k} is {(texts[k].Id > k ? "missing" : "there twice")}");
        var first = parts[0];
        int reducers = first.Reducers.Length;
        T[] Texts<T>(Func<RetrievalEvidence, T[]> of) => texts.Select(x => of(parts[x.Part])[x.Text]).ToArray();
        return first with
        {
            ImageOfText = [.. texts.Select(x => parts[x.Part].ImageOfText[x.Text] + offsets[x.Part])],
            TextIds = [.. texts.Select(x => x.Id)],
            ImageEmbeddings = TaskEvidence.JoinItems(parts, p => p.ImageEmbeddings),
            TextEmbeddings = [.. Enumerable.Range(0, reducers).Select(s => Texts(p => p.TextEmbeddings[s]))],
            ImageMacs = TaskEvidence.JoinItems(parts, p => p.ImageMacs),
            TextMacs = [.. Enumerable.Range(0, reducers).Select(s => Texts(p => p.TextMacs[s]))],
            Seconds = TaskEvidence.SumSeconds(parts, p => p.Seconds),
        };
    }

    /// <summary>Null when every array has one entry per reducer and image or text (a file read back), else what is wrong.</summary>
    public string? Inconsistency()
    {
        int reducers = Reducers.Length, texts = TextIds.Length;
        if (new[] { ImageEmbeddings.Length, TextEmbeddings.Length, ImageMacs.Length, TextMacs.Length, Seconds.Length }.Any(l => l != reducers))
            return $"{reducers} reducers but not one list of embeddings, multiply-adds and time each";
        int images = reducers == 0 ? 0 : ImageMacs[0].Length;
        if (images == 0 || ImageEmbeddings.Any(e => e.Length != images) || ImageMacs.Any(m => m.Length != images))
            return "not one image embedding and multiply-add count per image and reducer";
        if (ImageOfText.Length != texts || TextEmbeddings.Any(e => e.Length != texts) || TextMacs.Any(m => m.Length != texts))
            return $"{texts} texts but not one image, embedding and multiply-add count per text and reducer";
        if (ImageOfText.Any(i => i < 0 || i >= images)) return $"a text's image outside the {images} images";
        return null;
    }

    string ITaskEvidence.Task => "retrieval";
    IReadOnlyList<string> ITaskEvidence.Reducers => Reducers;
    int ITaskEvidence.Items => Images;
    IReadOnlyList<double> ITaskEvidence.Seconds => Seconds;
    IReadOnlyList<ITaskResult> ITaskEvidence.Score() => Results();
}
