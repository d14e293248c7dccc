namespace Sieve.Data;

/// <summary>
/// Turns images into model inputs as <see cref="PreprocessOptions"/> describe: Pillow-exact bicubic
/// resize of the shorter side, centre crop, scaling to [0, 1] and per-channel normalisation.
/// Thread-safe: one instance can serve many threads.
/// </summary>
public sealed class ImagePreprocessor
{
    // The normalised value of each 8-bit level, per channel: ((v / 255) − mean) / std in float32, the
    // operations and precision of torchvision's ToTensor and Normalize.
    readonly float[][] _levels;

    /// <summary>Creates a preprocessor for <paramref name="options"/>.</summary>
    public ImagePreprocessor(PreprocessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _levels =
        [
            Levels(options.Mean.R, options.Std.R),
            Levels(options.Mean.G, options.Std.G),
            Levels(options.Mean.B, options.Std.B),
        ];
    }

    /// <summary>The options this preprocessor applies.</summary>
    public PreprocessOptions Options { get; }

    /// <summary>
    /// The model input for <paramref name="image"/>: a float32 tensor of shape
    /// [3, <see cref="PreprocessOptions.CropHeight"/>, <see cref="PreprocessOptions.CropWidth"/>]
    /// (channel planes R, G, B, each row by row).
    /// </summary>
    public float[] Process(RgbImage image)
    {
        var cropped = View(image);

        ReadOnlySpan<byte> pixels = cropped.Pixels;
        int plane = Options.CropWidth * Options.CropHeight;
        var result = new float[3 * plane];
        for (int c = 0; c < 3; c++)
        {
            var levels = _levels[c];
            var output = result.AsSpan(c * plane, plane);
            for (int i = 0; i < plane; i++) output[i] = levels[pixels[3 * i + c]];
        }
        return result;
    }

    /// <summary>The pixels the model sees, before normalisation: resized and centre-cropped.</summary>
    public RgbImage View(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (width, height) = Options.ResizedSize(image.Width, image.Height);
        return CenterCrop.Apply(PilResize.Bicubic(image, width, height), Options.CropWidth, Options.CropHeight);
    }

    static float[] Levels(float mean, float std)
    {
        var levels = new float[256];
        for (int v = 0; v < 256; v++) levels[v] = (v / 255f - mean) / std;
        return levels;
    }
}
