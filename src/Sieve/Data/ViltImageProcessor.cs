using Sieve.Weights;

namespace Sieve.Data;

/// <summary>
/// ViLT's image preprocessing, as Hugging Face's <c>ViltImageProcessor</c> does it for one image: resize
/// (Pillow bicubic) so the shorter side is <see cref="ShortestEdge"/> unless the longer side would then
/// exceed ⌊1333/800 · <see cref="ShortestEdge"/>⌋ (639 for 384), round both sides half up, floor them to
/// multiples of <see cref="SizeDivisor"/>, scale to [0, 1] and normalise. There is no crop: the model
/// sees the whole image at its own aspect ratio, and a batch of one needs no padding (the pixel mask is
/// all ones). Immutable and thread-safe.
/// </summary>
internal sealed class ViltImageProcessor
{
    /// <summary>The file this preprocessing is read from, beside the model.</summary>
    public const string ConfigFile = "preprocessor_config.json";

    readonly PixelNormalizer _normalizer;

    /// <summary>Checks and keeps the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, a mean not finite, or a standard deviation not positive.</exception>
    public ViltImageProcessor(int shortestEdge, int sizeDivisor, (float R, float G, float B) mean, (float R, float G, float B) std)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shortestEdge);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sizeDivisor);
        _normalizer = new PixelNormalizer(mean, std);
        ShortestEdge = shortestEdge;
        SizeDivisor = sizeDivisor;
        Mean = mean;
        Std = std;
    }

    /// <summary>ViLT's defaults: shorter side 384, sides multiples of 32, mean and std 0.5.</summary>
    public static ViltImageProcessor Defaults { get; } = new(384, 32, (0.5f, 0.5f, 0.5f), (0.5f, 0.5f, 0.5f));

    /// <summary>Target of the shorter side (<c>size</c>, or <c>size.shortest_edge</c>).</summary>
    public int ShortestEdge { get; }

    /// <summary>Cap of the longer side: ⌊1333 / 800 · <see cref="ShortestEdge"/>⌋, as Hugging Face computes it.</summary>
    public int LongestEdge => (int)(1333.0 / 800 * ShortestEdge);

    /// <summary>Both sides are floored to a multiple of this (<c>size_divisor</c>; the patch size).</summary>
    public int SizeDivisor { get; }

    /// <summary>Per-channel mean subtracted from the [0, 1] values.</summary>
    public (float R, float G, float B) Mean { get; }

    /// <summary>Per-channel standard deviation the centred values are divided by.</summary>
    public (float R, float G, float B) Std { get; }

    /// <summary>
    /// The preprocessing of the ViLT in <paramref name="modelDirectory"/>: its <c>preprocessor_config.json</c>
    /// (<c>size</c>, <c>size_divisor</c>, <c>image_mean</c>, <c>image_std</c>, <c>do_normalize</c>; resizing must be
    /// bicubic with rescale 1/255), or <see cref="Defaults"/> where there is no such file.
    /// </summary>
    /// <exception cref="SieveFormatException">The file is malformed or asks for something unsupported; the message names the field.</exception>
    public static ViltImageProcessor FromDirectory(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, ConfigFile);
        if (!InputFile.IsPresent(path)) return Defaults;
        var cfg = JsonConfig.Load(path);
        PreprocessOptions.RequireBicubicAndRescale(cfg, "do_resize", "do_rescale");
        var d = Defaults;
        int divisor = cfg.Int("size_divisor", d.SizeDivisor, 1, ConfigLimits.MaxImageSide);
        var (mean, std) = PreprocessOptions.Normalization(cfg, d.Mean, d.Std);
        return new ViltImageProcessor(PreprocessOptions.ShortestEdge(cfg, d.ShortestEdge), divisor, mean, std);
    }

    /// <summary>
    /// The size a <paramref name="width"/> × <paramref name="height"/> image is resized to (Hugging Face's
    /// <c>get_resize_output_image_size</c>); a side may come out 0 for an extremely elongated image.
    /// </summary>
    public (int Width, int Height) OutputSize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        // In double, in Python's order of operations: the results are then identical.
        double scale = (double)ShortestEdge / Math.Min(width, height);
        double h, w;
        if (height < width) (h, w) = (ShortestEdge, scale * width);
        else (h, w) = (scale * height, ShortestEdge);
        if (Math.Max(h, w) > LongestEdge)
        {
            scale = LongestEdge / Math.Max(h, w);
            (h, w) = (scale * h, scale * w);
        }
        int newHeight = (int)(h + 0.5) / SizeDivisor * SizeDivisor, newWidth = (int)(w + 0.5) / SizeDivisor * SizeDivisor;
        return (newWidth, newHeight);
    }

    /// <summary>The pixels the model sees, before normalisation.</summary>
    /// <exception cref="ArgumentException">The image is so elongated that a side would be shorter than <see cref="SizeDivisor"/> (less than one patch).</exception>
    public RgbImage View(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (width, height) = OutputSize(image.Width, image.Height);
        if (width == 0 || height == 0)
            throw new ArgumentException(
                $"a {image.Width}×{image.Height} image resizes to {width}×{height} pixels: less than one {SizeDivisor}-pixel patch along a side (aspect ratio too extreme for ViLT)",
                nameof(image));
        return PilResize.Bicubic(image, width, height);
    }

    /// <summary>The model input: a float32 tensor [3, Height, Width] and its size.</summary>
    /// <exception cref="ArgumentException">See <see cref="View"/>.</exception>
    public (float[] Pixels, int Height, int Width) Process(RgbImage image)
    {
        var view = View(image);
        return (_normalizer.Apply(view), view.Height, view.Width);
    }
}
