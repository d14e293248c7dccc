namespace Sieve.Fitting;

/// <summary>
/// One training example: a preprocessed image with either its true class (classifiers) or the token ids
/// of a matching caption (CLIP). Captions of one image share its <see cref="Pixels"/> array.
/// </summary>
internal sealed record FitSample
{
    /// <param name="pixels">Preprocessed image [3, S, S].</param>
    /// <param name="label">True class, or −1 when the sample is an image–text pair.</param>
    /// <param name="text">Caption token ids (start … end-of-text), or null for a labelled image.</param>
    public FitSample(float[] pixels, int label = -1, int[]? text = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if ((label >= 0) == (text != null)) throw new ArgumentException("a sample has either a class label (≥ 0) or a caption, not both or neither");
        Pixels = pixels;
        Label = label;
        Text = text;
    }

    /// <summary>Preprocessed image [3, S, S].</summary>
    public float[] Pixels { get; }

    /// <summary>True class, or −1.</summary>
    public int Label { get; }

    /// <summary>Caption token ids, or null.</summary>
    public int[]? Text { get; }
}
