namespace Sieve.Data;

/// <summary>
/// How <see cref="ImagePreprocessor"/> turns an image into a model input: resize (Pillow bicubic) so
/// that the shorter side is <see cref="ResizeShorterSide"/>, cut the centre
/// <see cref="CropWidth"/> × <see cref="CropHeight"/>, scale to [0, 1], then normalise each channel
/// as (x − <see cref="Mean"/>) / <see cref="Std"/>. Immutable; every instance is valid.
/// </summary>
/// <remarks>
/// Build one from a model's config with <see cref="FromTimmConfig(Sieve.Weights.JsonConfig)"/> or <see cref="ForClip(System.Text.Json.JsonElement, string)"/>,
/// which report bad values as <see cref="SieveFormatException"/>s naming the file and field.
/// </remarks>
public sealed partial record PreprocessOptions
{
    /// <summary>Creates options, checking every value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A size is not positive, a mean is not finite, a standard deviation is not positive and finite, or
    /// <paramref name="rounding"/> is not a defined value.
    /// </exception>
    public PreprocessOptions(
        int resizeShorterSide, int cropWidth, int cropHeight,
        (float R, float G, float B) mean, (float R, float G, float B) std, ResizeRounding rounding)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resizeShorterSide);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropHeight);
        PixelNormalizer.Check(mean, std);
        if (!Enum.IsDefined(rounding))
            throw new ArgumentOutOfRangeException(nameof(rounding), rounding, "Not a ResizeRounding value.");
        ResizeShorterSide = resizeShorterSide;
        CropWidth = cropWidth;
        CropHeight = cropHeight;
        Mean = mean;
        Std = std;
        Rounding = rounding;
    }

    /// <summary>The length, in pixels, of the shorter side after resizing.</summary>
    public int ResizeShorterSide { get; }

    /// <summary>Width of the centre crop: the model's input width.</summary>
    public int CropWidth { get; }

    /// <summary>Height of the centre crop: the model's input height.</summary>
    public int CropHeight { get; }

    /// <summary>Per-channel mean subtracted from the [0, 1] pixel values.</summary>
    public (float R, float G, float B) Mean { get; }

    /// <summary>Per-channel standard deviation the centred values are divided by.</summary>
    public (float R, float G, float B) Std { get; }

    /// <summary>How the longer side's new length is rounded; reference pipelines differ.</summary>
    public ResizeRounding Rounding { get; }

    /// <summary>
    /// Resize straight to <see cref="CropWidth"/> × <see cref="CropHeight"/>, ignoring the aspect ratio, so nothing is
    /// cropped (BLIP's <c>size: {height, width}</c>); <see cref="ResizeShorterSide"/> is then unused.
    /// </summary>
    public bool IgnoreAspectRatio { get; init; }

    /// <summary>
    /// The size a <paramref name="width"/> × <paramref name="height"/> image is resized to: the shorter
    /// side becomes <see cref="ResizeShorterSide"/>, the other keeps the aspect ratio, rounded as
    /// <see cref="Rounding"/> says; with <see cref="IgnoreAspectRatio"/>, the crop size.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The image is so elongated that the longer side would exceed <see cref="int.MaxValue"/> pixels
    /// (an aspect ratio above about 8.6 million to 1 at a short side of 248).
    /// </exception>
    public (int Width, int Height) ResizedSize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (IgnoreAspectRatio) return (CropWidth, CropHeight);
        return (Scale(width, height, width), Scale(width, height, height));
    }

    int Scale(int width, int height, int side)
    {
        // (side × target) / shorter in double, as Python evaluates both references' formulas.
        double exact = (double)side * ResizeShorterSide / Math.Min(width, height);
        double rounded = Rounding == ResizeRounding.PythonRound ? Math.Round(exact, MidpointRounding.ToEven) : Math.Truncate(exact);
        return rounded <= int.MaxValue
            ? (int)rounded
            : throw new ArgumentException(
                $"a {width}×{height} image is too elongated: resizing its shorter side to {ResizeShorterSide} pixels would make the longer side {rounded:0} pixels, more than the {int.MaxValue} supported");
    }
}
