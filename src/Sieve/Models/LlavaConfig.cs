using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>Shape of a Hugging Face <c>LlavaForConditionalGeneration</c>, read from its <c>config.json</c>.</summary>
/// <param name="Vision">The CLIP vision tower (<c>vision_config</c>).</param>
/// <param name="ImageSize">The tower's input side in pixels.</param>
/// <param name="PatchSize">Its patch side.</param>
/// <param name="Text">The Llama decoder (<c>text_config</c>).</param>
/// <param name="ImageTokenId">The placeholder token image features replace (<c>image_token_index</c>).</param>
/// <param name="FeatureLayers">Vision layers run: <c>vision_feature_layer</c> as an index into the tower's hidden states (−2: all but the last).</param>
/// <param name="KeepClassToken">Image features include the class token (<c>vision_feature_select_strategy</c> "full"; "default" drops it).</param>
/// <param name="ProjectorActivation">Between the projector's two layers (<c>projector_hidden_act</c>).</param>
/// <param name="ProjectorBias">The projector's layers have biases (<c>multimodal_projector_bias</c>).</param>
public sealed record LlavaConfig(ClipTowerConfig Vision, int ImageSize, int PatchSize, LlamaConfig Text, int ImageTokenId, int FeatureLayers,
    bool KeepClassToken, Activation ProjectorActivation, bool ProjectorBias)
{
    /// <summary>Patches along one side of the image.</summary>
    public int Grid => ImageSize / PatchSize;

    /// <summary>Visual tokens one image becomes before any reduction.</summary>
    public int ImageTokens => Grid * Grid + (KeepClassToken ? 1 : 0);

    /// <summary>Parses <c>config.json</c> of a <c>LlavaForConditionalGeneration</c> (missing fields take LLaVA-1.5's defaults).</summary>
    internal static LlavaConfig FromHuggingFace(JsonConfig config)
    {
        var v = config.Section("vision_config", optional: true);
        var t = config.Section("text_config", optional: true);
        var vision = ClipTowerConfig.Read(v, 1024, 24, 16, 4096);
        int imageSize = v.Int("image_size", 336, 1, ConfigLimits.MaxImageSide), patch = v.Int("patch_size", 14, 1, ConfigLimits.MaxImageSide);
        if (imageSize % patch != 0) throw v.Problem("image_size", $"{imageSize} is not a multiple of patch_size {patch}");
        if ((imageSize / patch) * (imageSize / patch) > ConfigLimits.MaxPatches)
            throw v.Problem("image_size", $"{imageSize} with patch_size {patch} gives {(imageSize / patch) * (imageSize / patch)} patches; expected at most {ConfigLimits.MaxPatches}");
        var text = LlamaConfig.Read(t, config.Bool("tie_word_embeddings", false));
        int featureLayer = config.Int("vision_feature_layer", -2);
        int layers = featureLayer < 0 ? vision.Layers + 1 + featureLayer : featureLayer;
        if (layers < 1 || layers > vision.Layers)
            throw config.Problem("vision_feature_layer", $"is {featureLayer}; the vision tower has {vision.Layers} layers, so it must lie in {-vision.Layers}…-1 or 1…{vision.Layers}");
        string imageKey = config.Has("image_token_index") ? "image_token_index" : "image_token_id";
        int imageToken = config.Int(imageKey, 32000);
        if (imageToken < 0 || imageToken >= text.VocabSize) throw config.Problem(imageKey, $"is {imageToken}, outside the vocabulary of {text.VocabSize}");
        bool keepClass = config.String("vision_feature_select_strategy", "default") switch
        {
            "default" => false,
            "full" => true,
            var other => throw config.Problem("vision_feature_select_strategy", $"is \"{other}\"; supported: \"default\", \"full\""),
        };
        var activation = config.String("projector_hidden_act", "gelu") switch
        {
            "gelu" => Activation.Gelu,
            "quick_gelu" => Activation.QuickGelu,
            var other => throw config.Problem("projector_hidden_act", $"is \"{other}\"; supported: \"gelu\", \"quick_gelu\""),
        };
        return new LlavaConfig(vision, imageSize, patch, text, imageToken, layers, keepClass, activation, config.Bool("multimodal_projector_bias", true));
    }
}
