using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// Shape of a Hugging Face ViLT (<c>ViltModel</c>, <c>ViltForQuestionAnswering</c>,
/// <c>ViltForImageAndTextRetrieval</c>), read from its <c>config.json</c>; missing fields take
/// Hugging Face's <c>ViltConfig</c> defaults (those of ViLT-B/32). Validated on construction.
/// </summary>
public sealed record ViltConfig
{
    /// <summary>Answers of the VQAv2 classifier ViLT was fine-tuned with (<c>dandelin/vilt-b32-finetuned-vqa</c>).</summary>
    public const int VqaV2Answers = 3129;

    /// <summary>Checks every size; see the properties for their meaning.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message starts with its config.json field name.</exception>
    public ViltConfig(int width, int layers, int heads, int mlpHidden, float layerNormEps, int imageSize, int patchSize,
        int maxPositions, int vocabSize, int typeVocabSize = 2, int modalityTypes = 2, int maxImageLength = -1, IReadOnlyList<string>? labels = null)
    {
        Validate(width, layers, heads, mlpHidden, layerNormEps, imageSize, patchSize, maxPositions, vocabSize, typeVocabSize, modalityTypes, maxImageLength,
            (field, problem) => new ArgumentException($"{field} {problem}", field));
        (Width, Layers, Heads, MlpHidden, LayerNormEps) = (width, layers, heads, mlpHidden, layerNormEps);
        (ImageSize, PatchSize, MaxPositions, VocabSize, TypeVocabSize, ModalityTypes, MaxImageLength, Labels) =
            (imageSize, patchSize, maxPositions, vocabSize, typeVocabSize, modalityTypes, maxImageLength, labels);
    }

    /// <summary>Throws <paramref name="fail"/>(field, problem) for the first value that is out of range; fields are named as in config.json.</summary>
    static void Validate(int width, int layers, int heads, int mlpHidden, float layerNormEps, int imageSize, int patchSize,
        int maxPositions, int vocabSize, int typeVocabSize, int modalityTypes, int maxImageLength, Func<string, string, Exception> fail)
    {
        void InRange(string field, int value, int min, int max)
        {
            if (value < min || value > max) throw fail(field, $"{value} must be from {min} to {max}");
        }
        if (width <= 0 || layers <= 0 || heads <= 0 || mlpHidden <= 0 || width % heads != 0)
            throw fail("hidden_size", $"{width} with {heads} heads, {layers} layers, MLP {mlpHidden}: sizes must be positive and heads must divide the width");
        InRange("hidden_size", width, 1, ConfigLimits.MaxWidth);
        InRange("num_hidden_layers", layers, 1, ConfigLimits.MaxLayers);
        InRange("intermediate_size", mlpHidden, 1, ConfigLimits.MaxMlpHidden);
        InRange("image_size", imageSize, 1, ConfigLimits.MaxImageSide);
        if (patchSize <= 0 || imageSize < patchSize || imageSize % patchSize != 0)
            throw fail("image_size", $"{imageSize} is not a positive multiple of patch_size {patchSize}");
        InRange("max_position_embeddings", maxPositions, 2, ConfigLimits.MaxTextPositions); // at least [CLS] and [SEP]
        InRange("vocab_size", vocabSize, 1, ConfigLimits.MaxTableRows);
        InRange("type_vocab_size", typeVocabSize, 1, ConfigLimits.MaxTableRows);
        InRange("modality_type_vocab_size", modalityTypes, 2, ConfigLimits.MaxTableRows); // text and image at least
        if (!(layerNormEps > 0)) throw fail("layer_norm_eps", $"{layerNormEps} must be positive");
        if (maxImageLength != -1) InRange("max_image_length", maxImageLength, 1, ConfigLimits.MaxPatches); // or -1: every patch
    }

    /// <summary>ViLT-B/32 (<c>dandelin/vilt-b32-*</c>): width 768, 12 layers, 12 heads, MLP 3072, patch 32, image 384, 40 text positions, BERT's 30,522-token vocabulary.</summary>
    public static ViltConfig B32 { get; } = new(768, 12, 12, 3072, 1e-12f, 384, 32, 40, 30522);

    /// <summary>Model width D (<c>hidden_size</c>).</summary>
    public int Width { get; }

    /// <summary>Transformer layers (<c>num_hidden_layers</c>).</summary>
    public int Layers { get; }

    /// <summary>Attention heads (<c>num_attention_heads</c>).</summary>
    public int Heads { get; }

    /// <summary>MLP hidden width (<c>intermediate_size</c>).</summary>
    public int MlpHidden { get; }

    /// <summary>Epsilon of every LayerNorm of the backbone (<c>layer_norm_eps</c>); the VQA head's own LayerNorm uses PyTorch's 1e-5.</summary>
    public float LayerNormEps { get; }

    /// <summary>Side of the square image the position embeddings were trained for (<c>image_size</c>); other sizes interpolate them.</summary>
    public int ImageSize { get; }

    /// <summary>Patch side in pixels (<c>patch_size</c>).</summary>
    public int PatchSize { get; }

    /// <summary>Text positions (<c>max_position_embeddings</c>): the most tokens a text may have, [CLS] and [SEP] included.</summary>
    public int MaxPositions { get; }

    /// <summary>Rows of the word embedding (<c>vocab_size</c>).</summary>
    public int VocabSize { get; }

    /// <summary>Rows of the text's BERT token-type embedding (<c>type_vocab_size</c>); Sieve always uses type 0.</summary>
    public int TypeVocabSize { get; }

    /// <summary>Rows of the modality-type embedding (<c>modality_type_vocab_size</c>): 0 text, 1 image, 2 NLVR2's second image.</summary>
    public int ModalityTypes { get; }

    /// <summary>
    /// Most image patches (<c>max_image_length</c>); −1 keeps every patch. Hugging Face keeps a random subset
    /// of a larger image, so Sieve refuses such an image rather than guess.
    /// </summary>
    public int MaxImageLength { get; }

    /// <summary>Answer names of the VQA head by index (<c>id2label</c>), or null.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Patches along one side of the square training image.</summary>
    public int Grid => ImageSize / PatchSize;

    /// <summary>Parses <c>config.json</c> of a Hugging Face ViLT.</summary>
    /// <exception cref="SieveFormatException">A field is malformed, unsupported or inconsistent; the message names it.</exception>
    internal static ViltConfig FromHuggingFace(JsonConfig config)
    {
        config.RequireIfPresent("hidden_act", "gelu", "the activation Sieve runs ViLT with");
        var b = B32;
        int width = config.Int("hidden_size", b.Width), layers = config.Int("num_hidden_layers", b.Layers), heads = config.Int("num_attention_heads", b.Heads);
        int mlp = config.Int("intermediate_size", b.MlpHidden), image = config.Int("image_size", b.ImageSize), patch = config.Int("patch_size", b.PatchSize);
        int positions = config.Int("max_position_embeddings", b.MaxPositions), vocab = config.Int("vocab_size", b.VocabSize);
        int types = config.Int("type_vocab_size", b.TypeVocabSize), modalities = config.Int("modality_type_vocab_size", b.ModalityTypes), maxImage = config.Int("max_image_length", -1);
        float eps = (float)config.Number("layer_norm_eps", b.LayerNormEps);
        Validate(width, layers, heads, mlp, eps, image, patch, positions, vocab, types, modalities, maxImage, config.Problem);
        return new ViltConfig(width, layers, heads, mlp, eps, image, patch, positions, vocab, types, modalities, maxImage, config.Labels());
    }
}
