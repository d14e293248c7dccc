using System.Text.Json;
using Sieve.Weights;

namespace Sieve.Data;

public sealed partial record PreprocessOptions
{
    /// <summary>
    /// BLIP's preprocessing, as Hugging Face's <c>BlipImageProcessor</c> does it by default at <paramref name="imageSize"/>:
    /// bicubic resize straight to <paramref name="imageSize"/> × <paramref name="imageSize"/> (no crop, the aspect ratio is
    /// not kept), scale to [0, 1], CLIP's mean and std.
    /// </summary>
    public static PreprocessOptions BlipDefaultsAt(int imageSize) =>
        new PreprocessOptions(imageSize, imageSize, imageSize, ClipDefaults.Mean, ClipDefaults.Std, ResizeRounding.Truncate) { IgnoreAspectRatio = true };

    /// <summary>
    /// The preprocessing of the BLIP in <paramref name="modelDirectory"/>: its <c>preprocessor_config.json</c>
    /// (<c>size</c> as <c>{"height": h, "width": w}</c> or an integer, <c>image_mean</c>, <c>image_std</c>,
    /// <c>do_normalize</c>; resizing bicubic with rescale 1/255), or <see cref="BlipDefaultsAt"/> where there is no such
    /// file. The size must be the model's <paramref name="imageSize"/>: Sieve does not interpolate BLIP's positions.
    /// </summary>
    /// <exception cref="SieveFormatException">The file is malformed, asks for something unsupported, or for another size.</exception>
    public static PreprocessOptions ForBlip(string modelDirectory, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        string path = Path.Combine(modelDirectory, ClipConfigFile);
        if (!InputFile.IsPresent(path)) return BlipDefaultsAt(imageSize);
        var cfg = JsonConfig.Load(path);
        RequireBicubicAndRescale(cfg, "do_resize", "do_rescale");
        var (width, height) = (imageSize, imageSize);
        if (cfg.Find("size") is { } size)
        {
            if (size.ValueKind == JsonValueKind.Object)
            {
                var box = cfg.Section("size");
                (width, height) = (box.Int("width", null, 1, ConfigLimits.MaxImageSide), box.Int("height", null, 1, ConfigLimits.MaxImageSide));
            }
            else width = height = cfg.Int("size", null, 1, ConfigLimits.MaxImageSide);
        }
        if (width != imageSize || height != imageSize)
            throw cfg.Problem("size", $"is {width}×{height}, but the model takes {imageSize}×{imageSize} images (vision_config.image_size)");
        var (mean, std) = Normalization(cfg, ClipDefaults.Mean, ClipDefaults.Std);
        return new PreprocessOptions(imageSize, imageSize, imageSize, mean, std, ResizeRounding.Truncate) { IgnoreAspectRatio = true };
    }
}
