using System.Text.Json;
using Sieve.Weights;

namespace Sieve.Data;

public sealed partial record PreprocessOptions
{
    /// <summary>timm's default <c>crop_pct</c>, used where a config has none.</summary>
    const double TimmDefaultCropPct = 0.875;

    /// <summary>
    /// The evaluation preprocessing of a timm model, from the <c>pretrained_cfg</c> object of its
    /// <c>config.json</c>: the shorter side is resized to <c>floor(size / crop_pct)</c> (248 for 224 at
    /// 0.9), then the centre <c>size</c> × <c>size</c> is cut and normalised with the config's
    /// <c>mean</c> and <c>std</c>.
    /// </summary>
    /// <remarks>
    /// The long side is rounded half to even (<see cref="ResizeRounding.PythonRound"/>), as in the
    /// reference outputs Sieve is checked against. Missing <c>interpolation</c>, <c>crop_mode</c> and
    /// <c>crop_pct</c> take timm's defaults (bicubic, center, 0.875); only those interpolation and crop
    /// modes are supported, and only square input sizes.
    /// </remarks>
    /// <param name="pretrainedCfg">The <c>pretrained_cfg</c> JSON object.</param>
    /// <param name="sourceName">The file it was read from, named in error messages.</param>
    /// <exception cref="SieveFormatException">A field is missing, malformed or unsupported.</exception>
    public static PreprocessOptions FromTimmConfig(JsonElement pretrainedCfg, string sourceName = "config.json") =>
        FromTimmConfig(JsonConfig.FromElement(pretrainedCfg, sourceName, "pretrained_cfg"));

    /// <summary>As <see cref="FromTimmConfig(JsonElement, string)"/>, for the <c>pretrained_cfg</c> section of a loaded config.</summary>
    internal static PreprocessOptions FromTimmConfig(JsonConfig cfg)
    {
        cfg.RequireIfPresent("interpolation", "bicubic", "the only interpolation Sieve implements");
        cfg.RequireIfPresent("crop_mode", "center", "the only crop mode Sieve implements");

        var inputSizeJson = cfg.Required("input_size", "[3, n, n]");
        int[] inputSize = cfg.PositiveInts("input_size", inputSizeJson, 3);
        if (inputSize[0] != 3 || inputSize[1] != inputSize[2] || inputSize[2] > ConfigLimits.MaxImageSide)
            throw cfg.Error("input_size", $"[3, n, n]: three channels, square, n at most {ConfigLimits.MaxImageSide}", inputSizeJson);
        int size = inputSize[2];

        var cropPctJson = cfg.Find("crop_pct");
        double cropPct = cropPctJson is { } pct ? cfg.PositiveNumber("crop_pct", pct) : TimmDefaultCropPct;
        double resize = Math.Floor(size / cropPct); // timm: math.floor(img_size / crop_pct)
        if (!(resize >= 1 && resize <= ConfigLimits.MaxImageSide))
            throw cfg.Error("crop_pct",
                $"from {size / (ConfigLimits.MaxImageSide + 1.0):G4} to {size} (so that the resized side, ⌊{size} / crop_pct⌋, is 1 to {ConfigLimits.MaxImageSide} pixels)",
                cropPctJson!.Value);

        var mean = cfg.Rgb("mean", cfg.Required("mean", "3 numbers"), positive: false);
        var std = cfg.Rgb("std", cfg.Required("std", "3 positive numbers"), positive: true);
        return new PreprocessOptions((int)resize, size, size, mean, std, ResizeRounding.PythonRound);
    }
}
