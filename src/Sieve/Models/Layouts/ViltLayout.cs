namespace Sieve.Models;

/// <summary>
/// The tensor names of a Hugging Face ViLT checkpoint, read by <see cref="ViltModel"/> and the ONNX exporter:
/// the backbone under <see cref="Prefix"/> (<c>vilt.</c> in the task models, none in a bare <c>ViltModel</c>),
/// and the heads it has at the top level.
/// </summary>
/// <param name="Prefix">The backbone's name prefix: <c>"vilt."</c> or <c>""</c>.</param>
/// <param name="Answers">The VQA head's answer count; 0 without the head.</param>
/// <param name="Match">Whether the checkpoint has the image–text matching head.</param>
internal sealed record ViltLayout(string Prefix, int Answers, bool Match)
{
    /// <summary>The VQA head: dense D → 2D, LayerNorm, GELU, dense 2D → answers (<c>nn.Sequential</c> indices).</summary>
    public const string VqaUp = "classifier.0", VqaNorm = "classifier.1", VqaOut = "classifier.3";

    /// <summary>The image–text matching score, dense D → 1.</summary>
    public const string Rank = "rank_output";

    /// <summary>What the checkpoint read by <paramref name="weights"/> holds.</summary>
    public static ViltLayout Detect(ViltConfig config, CheckpointReader weights) =>
        new(weights.Has("vilt.embeddings.cls_token") ? "vilt." : "",
            // A VQA head without id2label has Hugging Face's default two labels.
            weights.Has(VqaUp + ".weight") ? config.Labels?.Count ?? 2 : 0,
            weights.Has(Rank + ".weight"));

    /// <summary>A task model's layout with both heads, as the random models are built.</summary>
    public static ViltLayout WithBothHeads(int answers) => new("vilt.", answers, Match: true);

    string Text => Prefix + "embeddings.text_embeddings.";

    /// <summary>The word embeddings [vocabulary, D].</summary>
    public string Words => Text + "word_embeddings.weight";

    /// <summary>The text positions [max_position_embeddings, D].</summary>
    public string TextPositions => Text + "position_embeddings.weight";

    /// <summary>BERT's token type embeddings [type_vocab_size, D].</summary>
    public string TextTokenTypes => Text + "token_type_embeddings.weight";

    /// <summary>The LayerNorm of the text embeddings.</summary>
    public string TextNorm => Text + "LayerNorm";

    /// <summary>The patch embedding conv (with bias).</summary>
    public string PatchEmbedding => Prefix + "embeddings.patch_embeddings.projection";

    /// <summary>The image class token [1, 1, D].</summary>
    public string ClassToken => Prefix + "embeddings.cls_token";

    /// <summary>The image positions [1, 1 + G², D]: the class token's, then the square grid's.</summary>
    public string ImagePositions => Prefix + "embeddings.position_embeddings";

    /// <summary>The modality type embeddings [modality_type_vocab_size, D]: text, image.</summary>
    public string ModalityTypes => Prefix + "embeddings.token_type_embeddings.weight";

    /// <summary>The final LayerNorm.</summary>
    public string Norm => Prefix + "layernorm";

    /// <summary>The pooler's dense layer (then tanh) on the text [CLS].</summary>
    public string Pooler => Prefix + "pooler.dense";

    /// <summary>Encoder layer <paramref name="i"/>.</summary>
    public BlockNames Block(int i) => BlockNames.Vilt($"{Prefix}encoder.layer.{i}");
}
