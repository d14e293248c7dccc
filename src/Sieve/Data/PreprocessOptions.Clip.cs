using System.Text.Json;
using Sieve.Weights;

namespace Sieve.Data;

public sealed partial record PreprocessOptions
{
    const string ClipConfigFile = "preprocessor_config.json";
    const int PilBicubic = 3;

    /// <summary>
    /// OpenAI CLIP's preprocessing, as Hugging Face's <c>CLIPImageProcessor</c> does it by default:
    /// shortest edge to 224 (long side truncated), centre 224 × 224, CLIP's mean and std.
    /// </summary>
    public static PreprocessOptions ClipDefaults { get; } = new(
        224, 224, 224,
        (0.48145466f, 0.4578275f, 0.40821073f),
        (0.26862954f, 0.26130258f, 0.27577711f),
        ResizeRounding.Truncate);

    /// <summary>CLIP's default preprocessing at another resolution: shortest edge and crop <paramref name="imageSize"/>.</summary>
    public static PreprocessOptions ClipDefaultsAt(int imageSize) => imageSize == ClipDefaults.CropWidth
        ? ClipDefaults
        : new(imageSize, imageSize, imageSize, ClipDefaults.Mean, ClipDefaults.Std, ClipDefaults.Rounding);

    /// <summary>
    /// The preprocessing of a Hugging Face CLIP model, from the <c>preprocessor_config.json</c> in
    /// <paramref name="modelDirectory"/>, or CLIP's defaults at <paramref name="imageSize"/> where there
    /// is no such file.
    /// </summary>
    /// <exception cref="SieveFormatException">The file is not valid JSON, or see <see cref="ForClip(JsonElement, string)"/>.</exception>
    public static PreprocessOptions ForClip(string modelDirectory, int imageSize = 224)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        string path = Path.Combine(modelDirectory, ClipConfigFile);
        return InputFile.IsPresent(path) ? ForClip(JsonConfig.Load(path)) : ClipDefaultsAt(imageSize);
    }

    /// <summary>
    /// The preprocessing described by a Hugging Face <c>CLIPImageProcessor</c> config. Read are
    /// <c>size</c> (an integer or <c>{"shortest_edge": n}</c>), <c>crop_size</c> (an integer or
    /// <c>{"height": h, "width": w}</c>), <c>image_mean</c>, <c>image_std</c>, <c>do_normalize</c>,
    /// <c>rescale_factor</c>; missing fields take the processor's defaults (<see cref="ClipDefaults"/>).
    /// </summary>
    /// <remarks>
    /// Like Hugging Face, the long side is truncated (<see cref="ResizeRounding.Truncate"/>). Only the
    /// usual pipeline is supported: <c>resample</c> 3 (bicubic), and <c>do_resize</c>,
    /// <c>do_center_crop</c> and <c>do_rescale</c> true, with a rescale factor of 1/255.
    /// </remarks>
    /// <param name="preprocessorConfig">The config's top-level JSON object.</param>
    /// <param name="sourceName">The file it was read from, named in error messages.</param>
    /// <exception cref="SieveFormatException">A field is malformed or asks for something unsupported.</exception>
    public static PreprocessOptions ForClip(JsonElement preprocessorConfig, string sourceName = ClipConfigFile) =>
        ForClip(JsonConfig.FromElement(preprocessorConfig, sourceName));

    static PreprocessOptions ForClip(JsonConfig cfg)
    {
        var defaults = ClipDefaults;
        RequireBicubicAndRescale(cfg, "do_resize", "do_center_crop", "do_rescale");
        int shortestEdge = ShortestEdge(cfg, defaults.ResizeShorterSide);

        (int width, int height) crop = (defaults.CropWidth, defaults.CropHeight);
        if (cfg.Find("crop_size") is { } cropSize)
        {
            if (cropSize.ValueKind == JsonValueKind.Object)
            {
                var box = cfg.Section("crop_size");
                crop = (box.Int("width", null, 1, ConfigLimits.MaxImageSide), box.Int("height", null, 1, ConfigLimits.MaxImageSide));
            }
            else
            {
                int side = cfg.Int("crop_size", null, 1, ConfigLimits.MaxImageSide);
                crop = (side, side);
            }
        }

        var (mean, std) = Normalization(cfg, defaults.Mean, defaults.Std);
        return new PreprocessOptions(shortestEdge, crop.width, crop.height, mean, std, ResizeRounding.Truncate);
    }

    // The parts of a Hugging Face image processor config that CLIP's and ViLT's share.

    /// <summary>Refuses a config that turns off one of <paramref name="steps"/>, resamples other than bicubic, or rescales other than by 1/255.</summary>
    internal static void RequireBicubicAndRescale(JsonConfig cfg, params string[] steps)
    {
        foreach (string step in steps)
        {
            if (!cfg.Bool(step, true))
                throw cfg.Error(step, $"true (Sieve always does {string.Join(", ", steps)})", cfg.Find(step)!.Value);
        }
        if (cfg.Find("resample") is { } resample
            && !(resample.ValueKind == JsonValueKind.Number && resample.TryGetInt32(out int filter) && filter == PilBicubic))
            throw cfg.Error("resample", $"{PilBicubic} (bicubic, the only resampling Sieve implements)", resample);
        if (cfg.Find("rescale_factor") is { } factor
            && Math.Abs(cfg.PositiveNumber("rescale_factor", factor) * 255 - 1) > 1e-6)
            throw cfg.Error("rescale_factor", "1/255 = 0.00392156862745098", factor);
    }

    /// <summary><c>size</c> as an integer or <c>{"shortest_edge": n}</c>; <paramref name="fallback"/> when missing.</summary>
    internal static int ShortestEdge(JsonConfig cfg, int fallback)
    {
        if (cfg.Find("size") is not { } size) return fallback;
        // A {"height", "width"} size (resize ignoring the aspect ratio) is neither CLIP's nor ViLT's and not supported.
        return size.ValueKind == JsonValueKind.Object
            ? cfg.Section("size").Int("shortest_edge", null, 1, ConfigLimits.MaxImageSide)
            : cfg.Int("size", null, 1, ConfigLimits.MaxImageSide);
    }

    /// <summary><c>image_mean</c> and <c>image_std</c> (defaults where missing), or none when <c>do_normalize</c> is false.</summary>
    internal static ((float R, float G, float B) Mean, (float R, float G, float B) Std) Normalization(
        JsonConfig cfg, (float R, float G, float B) mean, (float R, float G, float B) std)
    {
        if (!cfg.Bool("do_normalize", true)) return ((0f, 0f, 0f), (1f, 1f, 1f));
        if (cfg.Find("image_mean") is { } m) mean = cfg.Rgb("image_mean", m, positive: false);
        if (cfg.Find("image_std") is { } s) std = cfg.Rgb("image_std", s, positive: true);
        return (mean, std);
    }
}
