using System.Text.Json;
using System.Text.RegularExpressions;
using Sieve.Data;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// The original BLIP checkpoints (Salesforce's <c>model_base_*.pth</c>, LAVIS, and the CrossGET and MADTP releases built
/// on them) mapped onto Hugging Face's BLIP layout, as <c>transformers</c>' own conversion renames them: the timm-style
/// <c>visual_encoder.…</c> becomes <c>vision_model.…</c>; <c>text_encoder.…</c>, <c>text_decoder.…</c>,
/// <c>vision_proj</c>, <c>text_proj</c> and <c>itm_head</c> keep their names. What inference does not use (momentum
/// encoders, queues, the contrastive temperature) is left out by name; the methods' own parameters go to
/// <see cref="ReleasedGuidance"/>. The config the folder lacks is read off the tensors' shapes.
/// </summary>
internal static class SalesforceBlipLayout
{
    const string Vision = "visual_encoder.";

    /// <summary>The reason <see cref="CheckpointMapping.LeftOut"/> gives a method's parameter, which <see cref="ReleasedGuidance"/> then takes or explains.</summary>
    public const string MethodParameter = "a method's learned parameter";

    /// <summary>BERT's vocabulary size: BLIP adds [DEC] and [ENC] right after it.</summary>
    const int BertWords = 30522;

    /// <summary>Whether the checkpoint is in this layout: a timm-style <c>visual_encoder</c> beside a BERT text encoder or decoder.</summary>
    public static bool Matches(IReadOnlyCollection<string> names) =>
        names.Contains(Vision + "patch_embed.proj.weight") && names.Contains(Vision + "pos_embed")
        && names.Any(n => n.StartsWith("text_encoder.", StringComparison.Ordinal) || n.StartsWith("text_decoder.", StringComparison.Ordinal));

    /// <summary>The mapping of <paramref name="checkpoint"/>, with its <c>config.json</c>.</summary>
    /// <param name="checkpoint">The original checkpoint.</param>
    /// <param name="directory">Its folder: a <c>vocab.txt</c> and tokenizer files there give the decoder's [DEC] and [SEP] ids.</param>
    /// <exception cref="SieveFormatException">A tensor the config is read from is missing or has an unexpected shape (named).</exception>
    public static CheckpointMapping Map(CheckpointFiles checkpoint, string directory)
    {
        var names = new Dictionary<string, string>();
        var leftOut = new Dictionary<string, string>();
        foreach (var info in checkpoint.Tensors)
        {
            string name = info.Name;
            if (LeftOutReason(name) is { } reason) leftOut[name] = reason;
            else if (ToHuggingFace(name) is { } mapped) names[name] = mapped;
            else leftOut[name] = "not part of BLIP's inference layout";
        }
        var files = new Dictionary<string, string> { ["config.json"] = Config(checkpoint, directory, out int words) };
        if (words == BertWords + 2) files["tokenizer_config.json"] = TokenizerConfig;
        return new CheckpointMapping("the Salesforce BLIP layout", names, leftOut, files);
    }

    /// <summary>
    /// BLIP's tokenizer settings: BERT's uncased vocabulary (the original code's <c>bert-base-uncased</c>, whose
    /// <c>vocab.txt</c> the checkpoint does not carry) with [DEC] (the decoder's bos) and [ENC] added after it.
    /// </summary>
    static readonly string TokenizerConfig = JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["do_lower_case"] = true,
        ["bos_token"] = "[DEC]",
        ["added_tokens_decoder"] = new Dictionary<string, object>
        {
            [BertWords.ToString()] = new Dictionary<string, object> { ["content"] = "[DEC]", ["special"] = true },
            [(BertWords + 1).ToString()] = new Dictionary<string, object> { ["content"] = "[ENC]", ["special"] = true },
        },
    }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Why <paramref name="name"/> is not carried, or null when it is.</summary>
    static string? LeftOutReason(string name)
    {
        string module = name.Split('.')[0];
        if (module.EndsWith("_m", StringComparison.Ordinal)) return "momentum encoder (training only)";
        if (module is "image_queue" or "text_queue" or "idx_queue" or "ptr_queue") return "contrastive queue (training only)";
        if (module == "temp") return "contrastive temperature (training only; retrieval ranks by cosine)";
        if (ReleasedGuidance.IsMethodParameter(name)) return MethodParameter;
        return null;
    }

    static readonly (Regex Pattern, string Replacement)[] VisionNames =
    [
        (new(@"^visual_encoder\.cls_token$"), "vision_model.embeddings.class_embedding"),
        (new(@"^visual_encoder\.pos_embed$"), "vision_model.embeddings.position_embedding"),
        (new(@"^visual_encoder\.patch_embed\.proj\.(weight|bias)$"), "vision_model.embeddings.patch_embedding.$1"),
        (new(@"^visual_encoder\.blocks\.(\d+)\.norm1\.(weight|bias)$"), "vision_model.encoder.layers.$1.layer_norm1.$2"),
        (new(@"^visual_encoder\.blocks\.(\d+)\.attn\.qkv\.(weight|bias)$"), "vision_model.encoder.layers.$1.self_attn.qkv.$2"),
        (new(@"^visual_encoder\.blocks\.(\d+)\.attn\.proj\.(weight|bias)$"), "vision_model.encoder.layers.$1.self_attn.projection.$2"),
        (new(@"^visual_encoder\.blocks\.(\d+)\.norm2\.(weight|bias)$"), "vision_model.encoder.layers.$1.layer_norm2.$2"),
        (new(@"^visual_encoder\.blocks\.(\d+)\.mlp\.(fc1|fc2)\.(weight|bias)$"), "vision_model.encoder.layers.$1.mlp.$2.$3"),
        (new(@"^visual_encoder\.norm\.(weight|bias)$"), "vision_model.post_layernorm.$1"),
    ];

    /// <summary>The Hugging Face name of <paramref name="name"/>, or null for a name outside the layout.</summary>
    static string? ToHuggingFace(string name)
    {
        if (name.StartsWith(Vision, StringComparison.Ordinal))
            return VisionNames.Where(p => p.Pattern.IsMatch(name)).Select(p => p.Pattern.Replace(name, p.Replacement)).FirstOrDefault();
        string module = name.Split('.')[0];
        return module is "text_encoder" or "text_decoder" or "vision_proj" or "text_proj" or "itm_head" ? name : null;
    }

    /// <summary>
    /// BLIP's <c>config.json</c> read off the shapes: widths, depths, MLP sizes, image and patch size, vocabulary and
    /// positions; heads at 64 channels each, as every released BLIP has them; the original LayerNorm epsilons (the vision
    /// tower's timm 1e-6, BERT's 1e-12), so the converted model computes what the original does; the decoder's [DEC]
    /// (bos) and [SEP] ids from the folder's tokenizer files, else BERT's (30522 after the vocabulary, 102).
    /// </summary>
    static string Config(CheckpointFiles checkpoint, string directory, out int vocabulary)
    {
        int[] Shape(string name, int rank) => checkpoint.Contains(name) && checkpoint.Get(name).Shape.Length == rank
            ? checkpoint.Get(name).Shape.ToArray()
            : throw new SieveFormatException($"{checkpoint.Description}: the Salesforce BLIP layout needs tensor '{name}' of rank {rank} to read the model's shape");
        int Count(string prefix) => checkpoint.Tensors.Select(t => t.Name).Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => n[prefix.Length..].Split('.')[0]).Where(s => int.TryParse(s, out _)).Distinct().Count();

        int[] patch = Shape(Vision + "patch_embed.proj.weight", 4), positions = Shape(Vision + "pos_embed", 3);
        int width = patch[0], side = (int)Math.Round(Math.Sqrt(positions[1] - 1));
        if (side * side != positions[1] - 1)
            throw new SieveFormatException($"{checkpoint.Description}: '{Vision}pos_embed' has {positions[1]} positions, not a square grid plus the class token");
        var vision = new Dictionary<string, object>
        {
            ["hidden_size"] = width, ["num_hidden_layers"] = Count(Vision + "blocks."), ["num_attention_heads"] = width / 64,
            ["intermediate_size"] = Shape(Vision + "blocks.0.mlp.fc1.weight", 2)[0], ["image_size"] = side * patch[2], ["patch_size"] = patch[2],
            ["layer_norm_eps"] = 1e-6, ["hidden_act"] = "gelu",
        };
        string text = checkpoint.Contains("text_encoder.embeddings.word_embeddings.weight") ? "text_encoder." : "text_decoder.bert.";
        int[] words = Shape(text + "embeddings.word_embeddings.weight", 2);
        vocabulary = words[0];
        var textConfig = new Dictionary<string, object>
        {
            ["vocab_size"] = words[0], ["hidden_size"] = words[1], ["num_hidden_layers"] = Count(text + "encoder.layer."),
            ["num_attention_heads"] = words[1] / 64, ["intermediate_size"] = Shape(text + "encoder.layer.0.intermediate.dense.weight", 2)[0],
            ["max_position_embeddings"] = Shape(text + "embeddings.position_embeddings.weight", 2)[0], ["layer_norm_eps"] = 1e-12,
            ["hidden_act"] = "gelu", ["encoder_hidden_size"] = width, ["pad_token_id"] = 0,
            ["bos_token_id"] = AddedTokens.Read(directory).Where(t => t.Token == "[DEC]").Select(t => (int?)t.Id).FirstOrDefault() ?? BertWords,
            ["sep_token_id"] = InputFile.IsPresent(Path.Combine(directory, WordPieceTokenizer.VocabFile)) ? WordPieceTokenizer.FromDirectory(directory, 2).Sep : 102,
        };
        bool retrieval = checkpoint.Contains("itm_head.weight"), decoder = checkpoint.Tensors.Any(t => t.Name.StartsWith("text_decoder.", StringComparison.Ordinal));
        var config = new Dictionary<string, object>
        {
            ["model_type"] = "blip",
            ["architectures"] = new[] { retrieval ? "BlipForImageTextRetrieval" : decoder && text == "text_encoder." ? "BlipForQuestionAnswering" : "BlipForConditionalGeneration" },
            ["vision_config"] = vision, ["text_config"] = textConfig,
        };
        if (checkpoint.Contains("vision_proj.weight")) config["image_text_hidden_size"] = Shape("vision_proj.weight", 2)[0];
        return JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true });
    }
}
