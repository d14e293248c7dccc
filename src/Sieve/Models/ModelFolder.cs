using Sieve.Weights;

namespace Sieve.Models;

/// <summary>The model families Sieve runs.</summary>
public enum ModelFamily
{
    /// <summary>timm Vision Transformer classifier.</summary>
    Vit,
    /// <summary>Hugging Face <c>CLIPModel</c>.</summary>
    Clip,
}

/// <summary>Recognises and loads a model folder (<c>config.json</c> + <c>model.safetensors</c> + tokenizer files).</summary>
public static class ModelFolder
{
    /// <summary>Which family the folder's <c>config.json</c> describes.</summary>
    public static ModelFamily Detect(string directory)
    {
        if (!Directory.Exists(directory)) throw new SieveFormatException($"model folder '{directory}' does not exist");
        var config = JsonConfig.Load(Path.Combine(directory, "config.json"));
        if (config.Has("architecture") && config.String("architecture").StartsWith("vit_", StringComparison.Ordinal)) return ModelFamily.Vit;
        if (config.Has("model_type") && config.String("model_type") == "clip") return ModelFamily.Clip;
        if (config.Has("architectures") && config.Element.GetProperty("architectures").ToString().Contains("\"CLIPModel\"")) return ModelFamily.Clip;
        throw new SieveFormatException(
            $"{Path.Combine(directory, "config.json")}: not a model Sieve knows; expected a timm ViT (\"architecture\": \"vit_…\") or a Hugging Face CLIP (\"model_type\": \"clip\")");
    }

    /// <summary>Loads the folder as the model family it holds.</summary>
    public static IImageEncoder Load(string directory) => Detect(directory) switch
    {
        ModelFamily.Vit => VitModel.Load(directory),
        _ => ClipModel.Load(directory),
    };
}
