using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>One CLIP or BLIP tower's transformer shape (Hugging Face <c>text_config</c> / <c>vision_config</c>).</summary>
public sealed record ClipTowerConfig(int Width, int Layers, int Heads, int MlpHidden, float LayerNormEps, Activation Activation)
{
    /// <summary>Reads a tower section; missing fields take the given defaults (the family's Hugging Face defaults).</summary>
    internal static ClipTowerConfig Read(JsonConfig c, int width, int layers, int heads, int hidden, double eps = 1e-5, string activation = "quick_gelu")
    {
        var tower = new ClipTowerConfig(
            c.Int("hidden_size", width, 1, ConfigLimits.MaxWidth), c.Int("num_hidden_layers", layers, 1, ConfigLimits.MaxLayers),
            c.Int("num_attention_heads", heads, 1, ConfigLimits.MaxWidth),
            c.Int("intermediate_size", hidden, 1, ConfigLimits.MaxMlpHidden), (float)c.Number("layer_norm_eps", eps),
            c.String("hidden_act", activation) switch
            {
                "quick_gelu" => Activation.QuickGelu,
                "gelu" => Activation.Gelu,
                var other => throw c.Problem("hidden_act", $"is \"{other}\"; supported: \"quick_gelu\", \"gelu\""),
            });
        if (tower.Width <= 0 || tower.Heads <= 0 || tower.Width % tower.Heads != 0 || tower.Layers <= 0 || tower.MlpHidden <= 0)
            throw c.Problem("hidden_size", $"{tower.Width} with {tower.Heads} heads, {tower.Layers} layers, MLP {tower.MlpHidden}: sizes must be positive and heads must divide the width");
        return tower;
    }
}

/// <summary>Shape of a Hugging Face <c>CLIPModel</c>, read from its <c>config.json</c> (missing fields take Hugging Face's defaults).</summary>
public sealed record ClipConfig(
    ClipTowerConfig Vision, int ImageSize, int PatchSize,
    ClipTowerConfig Text, int VocabSize, int MaxPositions, int EosTokenId,
    int ProjectionDim)
{
    /// <summary>OpenAI CLIP ViT-B/16: vision 768 wide, 12 layers, 224 px, patch 16; text 512 wide, 77 tokens; joint space 512.</summary>
    public static ClipConfig VitB16 { get; } = new(
        new ClipTowerConfig(768, 12, 12, 3072, 1e-5f, Activation.QuickGelu), 224, 16,
        new ClipTowerConfig(512, 12, 8, 2048, 1e-5f, Activation.QuickGelu), 49408, 77, 49407, 512);

    /// <summary>Patches along one side of the image.</summary>
    public int Grid => ImageSize / PatchSize;

    /// <summary>Parses <c>config.json</c> of a <c>CLIPModel</c>.</summary>
    internal static ClipConfig FromHuggingFace(JsonConfig config)
    {
        var v = config.Section("vision_config", optional: true);
        var t = config.Section("text_config", optional: true);
        var vision = ClipTowerConfig.Read(v, 768, 12, 12, 3072);
        var text = ClipTowerConfig.Read(t, 512, 12, 8, 2048);
        int vocab = t.Int("vocab_size", 49408, 1, ConfigLimits.MaxTableRows);
        // eos_token_id 2 is the legacy default that means "pool at the highest id", i.e. <|endoftext|> = vocab − 1.
        int eos = t.Int("eos_token_id", 2);
        var clip = new ClipConfig(vision, v.Int("image_size", 224, 1, ConfigLimits.MaxImageSide), v.Int("patch_size", 32, 1, ConfigLimits.MaxImageSide),
            text, vocab, t.Int("max_position_embeddings", 77, 1, ConfigLimits.MaxTextPositions), eos == 2 ? vocab - 1 : eos,
            config.Int("projection_dim", 512, 1, ConfigLimits.MaxWidth));
        if (clip.ImageSize % clip.PatchSize != 0)
            throw v.Problem("image_size", $"{clip.ImageSize} is not a multiple of patch_size {clip.PatchSize}");
        if (clip.Grid * clip.Grid > ConfigLimits.MaxPatches)
            throw v.Problem("image_size", $"{clip.ImageSize} with patch_size {clip.PatchSize} gives {clip.Grid * clip.Grid} patches; expected at most {ConfigLimits.MaxPatches}");
        if (clip.EosTokenId < 0 || clip.EosTokenId >= vocab)
            throw t.Problem("eos_token_id", $"{clip.EosTokenId} is outside the vocabulary of {vocab}");
        return clip;
    }
}
