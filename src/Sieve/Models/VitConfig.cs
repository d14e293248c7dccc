using System.Text.RegularExpressions;
using Sieve.Data;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>Shape and preprocessing of a timm Vision Transformer, read from timm's <c>config.json</c>.</summary>
public sealed partial record VitConfig
{
    /// <summary>Side of the square input image in pixels.</summary>
    public required int ImageSize { get; init; }

    /// <summary>Side of one patch in pixels.</summary>
    public required int PatchSize { get; init; }

    /// <summary>Model width D.</summary>
    public required int Width { get; init; }

    /// <summary>Number of blocks.</summary>
    public required int Depth { get; init; }

    /// <summary>Attention heads.</summary>
    public required int Heads { get; init; }

    /// <summary>Hidden width of each block's MLP.</summary>
    public required int MlpHidden { get; init; }

    /// <summary>Classes of the head.</summary>
    public required int NumClasses { get; init; }

    /// <summary>Epsilon of every LayerNorm (timm's 1e-6).</summary>
    public float LayerNormEps { get; init; } = 1e-6f;

    /// <summary>Class names by index, when the config has <c>id2label</c> or <c>label_names</c>.</summary>
    public string[]? Labels { get; init; }

    /// <summary>How an image becomes the model's input (timm's <c>pretrained_cfg</c>).</summary>
    public required PreprocessOptions Preprocess { get; init; }

    /// <summary>Patches along one side.</summary>
    public int Grid => ImageSize / PatchSize;

    /// <summary>Tokens in the sequence: patches plus the class token.</summary>
    public int Tokens => Grid * Grid + 1;

    // timm's ViT family: name → (width, depth, heads); head width 64 except tiny's 3 × 64.
    static readonly Dictionary<string, (int Width, int Depth, int Heads)> Sizes = new()
    {
        ["tiny"] = (192, 12, 3), ["small"] = (384, 12, 6), ["base"] = (768, 12, 12), ["large"] = (1024, 24, 16),
    };

    [GeneratedRegex(@"^vit_(tiny|small|base|large)_patch(\d+)_(\d+)(?:\.|$)")]
    private static partial Regex ArchitecturePattern();

    /// <summary>Reads a timm <c>config.json</c> (<c>architecture</c>, <c>num_classes</c>, <c>pretrained_cfg</c>, optional <c>model_args</c>).</summary>
    internal static VitConfig FromTimm(JsonConfig config)
    {
        string arch = config.String("architecture");
        var match = ArchitecturePattern().Match(arch);
        var args = config.Section("model_args", optional: true);
        if (!match.Success && !args.Has("embed_dim"))
            throw config.Problem("architecture", $"is \"{arch}\"; Sieve runs timm ViTs named vit_{{tiny|small|base|large}}_patch{{P}}_{{S}}, or any ViT whose config gives model_args (embed_dim, depth, num_heads, patch_size, img_size)");
        var size = match.Success ? Sizes[match.Groups[1].Value] : default;
        var pretrained = config.Section("pretrained_cfg");
        if (config.String("global_pool", "token") != "token")
            throw config.Problem("global_pool", "must be \"token\" (class-token pooling); other pooling is not supported");

        // Sizes named by the architecture are checked as model_args values would be.
        int FromName(int group, string field, int max) =>
            int.TryParse(match.Groups[group].Value, out int n) && n >= 1 && n <= max
                ? n
                : throw config.Problem("architecture", $"is \"{arch}\", whose {field} must be from 1 to {max}");
        int width = args.Int("embed_dim", size.Width, 1, ConfigLimits.MaxWidth);
        int imageSize = args.Int("img_size", match.Success ? FromName(3, "image size", ConfigLimits.MaxImageSide) : 224, 1, ConfigLimits.MaxImageSide);
        int patchSize = args.Int("patch_size", match.Success ? FromName(2, "patch size", ConfigLimits.MaxImageSide) : 16, 1, ConfigLimits.MaxImageSide);
        double mlpHidden = Math.Round(width * args.Number("mlp_ratio", 4.0));
        if (!(mlpHidden >= 1 && mlpHidden <= ConfigLimits.MaxMlpHidden))
            throw args.Problem("mlp_ratio", $"gives an MLP {mlpHidden} wide (embed_dim {width} × mlp_ratio); expected 1 to {ConfigLimits.MaxMlpHidden}");
        var vit = new VitConfig
        {
            Width = width,
            Depth = args.Int("depth", size.Depth, 1, ConfigLimits.MaxLayers),
            Heads = args.Int("num_heads", size.Heads, 1, width),
            PatchSize = patchSize,
            ImageSize = imageSize,
            MlpHidden = (int)mlpHidden,
            NumClasses = config.Int("num_classes", null, 1, ConfigLimits.MaxTableRows),
            Labels = config.Labels() ?? config.Labels("label_names"),
            Preprocess = PreprocessOptions.FromTimmConfig(pretrained),
        };
        if (vit.Width <= 0 || vit.Depth <= 0 || vit.Heads <= 0 || vit.Width % vit.Heads != 0)
            throw config.Problem("model_args", $"gives width {vit.Width}, depth {vit.Depth}, heads {vit.Heads}; width must be a positive multiple of heads");
        if (vit.PatchSize <= 0 || vit.ImageSize % vit.PatchSize != 0)
            throw config.Problem("model_args", $"image size {vit.ImageSize} is not a multiple of patch size {vit.PatchSize}");
        if ((long)vit.Grid * vit.Grid > ConfigLimits.MaxPatches)
            throw config.Problem("model_args", $"image size {vit.ImageSize} with patch size {vit.PatchSize} gives {(long)vit.Grid * vit.Grid} patches; expected at most {ConfigLimits.MaxPatches}");
        if (vit.Preprocess.CropWidth != imageSize || vit.Preprocess.CropHeight != imageSize)
            throw config.Problem("pretrained_cfg.input_size", $"crop {vit.Preprocess.CropWidth}×{vit.Preprocess.CropHeight} does not match the model's image size {imageSize}");
        return vit;
    }
}
