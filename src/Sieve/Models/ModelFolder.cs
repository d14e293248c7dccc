using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>The model families Sieve runs.</summary>
public enum ModelFamily
{
    /// <summary>timm Vision Transformer classifier.</summary>
    Vit,
    /// <summary>Hugging Face <c>CLIPModel</c>.</summary>
    Clip,
    /// <summary>Hugging Face ViLT (<c>ViltModel</c>, <c>ViltForQuestionAnswering</c>, <c>ViltForImageAndTextRetrieval</c>).</summary>
    Vilt,
    /// <summary>Hugging Face BLIP (<c>BlipForImageTextRetrieval</c>).</summary>
    Blip,
}

/// <summary>
/// Recognises and loads a model folder: <c>config.json</c>, the weights (<c>model.safetensors</c> or its shards, else
/// PyTorch's <c>pytorch_model.bin</c>, its shards or one <c>.pth</c>: see <see cref="CheckpointFiles"/>) and tokenizer files.
/// </summary>
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
        if (config.Has("model_type") && config.String("model_type") == "vilt") return ModelFamily.Vilt;
        if (config.Has("model_type") && config.String("model_type") == "blip") return ModelFamily.Blip;
        throw new SieveFormatException(
            $"{Path.Combine(directory, "config.json")}: not a model Sieve knows; expected a timm ViT (\"architecture\": \"vit_…\"), a Hugging Face CLIP (\"model_type\": \"clip\"), ViLT (\"model_type\": \"vilt\") or BLIP (\"model_type\": \"blip\")");
    }

    /// <summary>Loads the model the folder holds, whatever its family.</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="precision">The blocks' linear layers: float32, or int8 quantized at load.</param>
    public static IModel LoadAny(string directory, Precision precision = Precision.Float32) => Detect(directory) switch
    {
        ModelFamily.Vit => VitModel.Load(directory, precision),
        ModelFamily.Clip => ClipModel.Load(directory, precision),
        ModelFamily.Blip => BlipModel.Load(directory, precision),
        _ => ViltModel.Load(directory, precision),
    };

    /// <summary>Loads the folder as the image encoder it holds (a ViT, CLIP or BLIP).</summary>
    /// <exception cref="SieveFormatException">The folder holds a ViLT, which encodes image–text pairs, not images.</exception>
    /// <param name="directory">The model folder.</param>
    /// <param name="precision">The blocks' linear layers: float32, or int8 quantized at load.</param>
    public static IImageEncoder Load(string directory, Precision precision = Precision.Float32) => Detect(directory) switch
    {
        ModelFamily.Vit => VitModel.Load(directory, precision),
        ModelFamily.Clip => ClipModel.Load(directory, precision),
        ModelFamily.Blip => BlipModel.Load(directory, precision),
        _ => throw new SieveFormatException($"'{directory}' is a ViLT, which encodes image–text pairs, not images alone; use `sieve vqa` or `sieve match`"),
    };
}
