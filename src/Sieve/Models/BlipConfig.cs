using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// Shape of a Hugging Face BLIP (<c>"model_type": "blip"</c>), read from its <c>config.json</c>: the vision tower
/// (<c>vision_config</c>), the BERT text encoder (<c>text_config</c>) and the width of the contrastive space
/// (<c>image_text_hidden_size</c>). Missing fields take Hugging Face's defaults.
/// </summary>
/// <param name="Vision">The vision tower's transformer.</param>
/// <param name="ImageSize">Side of the square input image (<c>image_size</c>).</param>
/// <param name="PatchSize">Patch side in pixels (<c>patch_size</c>).</param>
/// <param name="Text">The text encoder's transformer.</param>
/// <param name="VocabSize">Rows of the word embedding (<c>vocab_size</c>): BERT's vocabulary plus [DEC] and [ENC].</param>
/// <param name="MaxPositions">Text positions (<c>max_position_embeddings</c>): the most tokens a text may have.</param>
/// <param name="ImageTextWidth">Width of the contrastive embeddings (<c>image_text_hidden_size</c>).</param>
public sealed record BlipConfig(
    ClipTowerConfig Vision, int ImageSize, int PatchSize,
    ClipTowerConfig Text, int VocabSize, int MaxPositions,
    int ImageTextWidth)
{
    /// <summary>BLIP-base (<c>Salesforce/blip-itm-base-coco</c>): ViT-B/16 at 384 px; BERT-base text (12 layers, 12 heads, 512 positions); contrastive width 256.</summary>
    public static BlipConfig Base { get; } = new(
        new ClipTowerConfig(768, 12, 12, 3072, 1e-5f, Activation.Gelu), 384, 16,
        new ClipTowerConfig(768, 12, 12, 3072, 1e-12f, Activation.Gelu), 30524, 512, 256);

    /// <summary>The token a decoded sequence starts with (<c>text_config.bos_token_id</c>, [DEC]: 30522 in BERT's vocabulary).</summary>
    public int BosTokenId { get; init; } = 30522;

    /// <summary>The token that ends a decoded sequence (<c>text_config.sep_token_id</c>, [SEP]: BLIP's <c>generate</c> passes it as <c>eos_token_id</c>).</summary>
    public int SepTokenId { get; init; } = 102;

    /// <summary>Patches along one side of the image.</summary>
    public int Grid => ImageSize / PatchSize;

    /// <summary>Parses <c>config.json</c> of a BLIP.</summary>
    /// <exception cref="SieveFormatException">A field is malformed or inconsistent; the message names it.</exception>
    internal static BlipConfig FromHuggingFace(JsonConfig config)
    {
        var v = config.Section("vision_config", optional: true);
        var t = config.Section("text_config", optional: true);
        var vision = ClipTowerConfig.Read(v, 768, 12, 12, 3072, eps: 1e-5, activation: "gelu");
        // BlipTextConfig's defaults (8 heads); the published checkpoints state their 12.
        var text = ClipTowerConfig.Read(t, 768, 12, 8, 3072, eps: 1e-12, activation: "gelu");
        var blip = new BlipConfig(vision, v.Int("image_size", 384, 1, ConfigLimits.MaxImageSide), v.Int("patch_size", 16, 1, ConfigLimits.MaxImageSide),
            text, t.Int("vocab_size", 30524, 1, ConfigLimits.MaxTableRows), t.Int("max_position_embeddings", 512, 2, ConfigLimits.MaxTextPositions),
            config.Int("image_text_hidden_size", 256, 1, ConfigLimits.MaxWidth))
        {
            BosTokenId = t.Int("bos_token_id", 30522, 0, ConfigLimits.MaxTableRows),
            SepTokenId = t.Int("sep_token_id", 102, 0, ConfigLimits.MaxTableRows),
        };
        if (blip.ImageSize % blip.PatchSize != 0)
            throw v.Problem("image_size", $"{blip.ImageSize} is not a multiple of patch_size {blip.PatchSize}");
        if (blip.Grid * blip.Grid > ConfigLimits.MaxPatches)
            throw v.Problem("image_size", $"{blip.ImageSize} with patch_size {blip.PatchSize} gives {blip.Grid * blip.Grid} patches; expected at most {ConfigLimits.MaxPatches}");
        // The text encoder's cross-attention reads the vision tower's tokens: their widths must agree.
        int encoderWidth = t.Int("encoder_hidden_size", 768, 1, ConfigLimits.MaxWidth);
        if (encoderWidth != vision.Width)
            throw t.Problem("encoder_hidden_size", $"is {encoderWidth}, but the vision tower is {vision.Width} wide (vision_config.hidden_size)");
        return blip;
    }
}
