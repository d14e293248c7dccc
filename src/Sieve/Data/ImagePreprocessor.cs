namespace Sieve.Data;

/// <summary>
/// Turns images into model inputs as <see cref="PreprocessOptions"/> describe: Pillow-exact bicubic
/// resize of the shorter side, centre crop, scaling to [0, 1] and per-channel normalisation.
/// Thread-safe: one instance can serve many threads.
/// </summary>
public sealed class ImagePreprocessor
{
    readonly PixelNormalizer _normalizer;

    /// <summary>Creates a preprocessor for <paramref name="options"/>.</summary>
    public ImagePreprocessor(PreprocessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _normalizer = new PixelNormalizer(options.Mean, options.Std);
    }

    /// <summary>The options this preprocessor applies.</summary>
    public PreprocessOptions Options { get; }

    /// <summary>
    /// The model input for <paramref name="image"/>: a float32 tensor of shape
    /// [3, <see cref="PreprocessOptions.CropHeight"/>, <see cref="PreprocessOptions.CropWidth"/>]
    /// (channel planes R, G, B, each row by row).
    /// </summary>
    public float[] Process(RgbImage image) => _normalizer.Apply(View(image));

    /// <summary>The pixels the model sees, before normalisation: resized and centre-cropped.</summary>
    /// <remarks>
    /// Only the pixels the crop keeps are resampled (bit for bit those of resizing the whole image, then
    /// cropping), so a very elongated image costs no more than a square one.
    /// </remarks>
    /// <exception cref="ArgumentException">See <see cref="PreprocessOptions.ResizedSize"/>.</exception>
    public RgbImage View(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (width, height) = Options.ResizedSize(image.Width, image.Height);
        return CenterCrop.Cut(width, height, Options.CropWidth, Options.CropHeight,
            (x, y, w, h) => PilResize.Region(image, width, height, x, y, w, h));
    }
}
