using Sieve.Models;
using Sieve.Weights;

namespace Sieve.Tests.Support;

/// <summary>
/// Tiny Hugging Face BLIP folders in the exact layouts — <c>BlipForImageTextRetrieval</c> (<c>vision_model.…</c>,
/// <c>text_encoder.…</c> with <c>crossattention</c>, <c>vision_proj</c>, <c>text_proj</c>, <c>itm_head</c>),
/// <c>BlipForConditionalGeneration</c> (<c>vision_model.…</c>, <c>text_decoder.bert.…</c>, <c>text_decoder.cls.predictions.…</c>)
/// and <c>BlipForQuestionAnswering</c> (vision, <c>text_encoder.…</c> without heads, the decoder):
/// <c>config.json</c>, <c>model.safetensors</c>, a BERT <c>vocab.txt</c> (<see cref="Vocab"/>) with [DEC] and [ENC]
/// added after it in <c>tokenizer.json</c>, and a <c>preprocessor_config.json</c> at the tiny image size.
/// </summary>
public static class TinyBlip
{
    /// <summary>The model's shape: the text encoder narrower than the vision tower, so cross-attention maps widths.</summary>
    public sealed record Shape(
        int VisionWidth = 32, int VisionLayers = 2, int VisionHeads = 4, int VisionHidden = 64, int ImageSize = 32, int Patch = 8,
        int TextWidth = 24, int TextLayers = 2, int TextHeads = 3, int TextHidden = 48, int Positions = 16, int ImageTextWidth = 16)
    {
        public int Tokens => (ImageSize / Patch) * (ImageSize / Patch) + 1;
        public const double VisionEps = 1e-5, TextEps = 1e-12;
    }

    /// <summary>vocab.txt, id = index: BERT's specials first ([PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4), words, punctuation, continuations.</summary>
    public static readonly string[] Vocab =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "a", "photo", "of", "cat", "dog", "on", "the", "sofa", "play", "two",
        ".", ",", "!",
        "##s", "##ing", "##e",
    ];

    /// <summary>The ids tokenizer.json adds: [DEC] (BLIP's bos_token) and [ENC], right after <see cref="Vocab"/>.</summary>
    public static int Dec => Vocab.Length;

    /// <inheritdoc cref="Dec"/>
    public static int Enc => Vocab.Length + 1;

    public static int VocabSize => Vocab.Length + 2;

    public static int Id(string token) => token switch { "[DEC]" => Dec, "[ENC]" => Enc, _ => Array.IndexOf(Vocab, token) };

    /// <summary>
    /// Writes a folder with seeded random weights; <paramref name="skip"/> leaves one tensor out. A decoder's LM head is
    /// tied to its word embeddings (no <c>predictions.decoder.weight</c>) unless <paramref name="untiedLogits"/>.
    /// </summary>
    public static TinyCheckpoint Write(int seed, Shape? shape = null, DType dtype = DType.F32, Action<Dictionary<string, object>>? editConfig = null, string? skip = null,
        BlipArchitecture architecture = BlipArchitecture.ImageTextRetrieval, bool untiedLogits = false)
    {
        var s = shape ?? new Shape();
        var ck = new TinyCheckpoint(seed, dtype);
        int dv = s.VisionWidth, dt = s.TextWidth;
        void Add(string name, int[] dims, float std = 0.2f, float mean = 0f)
        {
            if (name != skip) ck.Add(name, dims, std, mean);
        }
        void Norm(string p, int d)
        {
            Add(p + ".weight", [d], 0.1f, 1f);
            Add(p + ".bias", [d], 0.1f);
        }
        void Dense(string p, int inF, int outF, float std = 0.2f)
        {
            Add(p + ".weight", [outF, inF], std);
            Add(p + ".bias", [outF], 0.05f);
        }

        Add("vision_model.embeddings.class_embedding", [1, 1, dv], 0.5f);
        Add("vision_model.embeddings.patch_embedding.weight", [dv, 3, s.Patch, s.Patch], 0.05f);
        Add("vision_model.embeddings.patch_embedding.bias", [dv], 0.05f);
        Add("vision_model.embeddings.position_embedding", [1, s.Tokens, dv], 0.5f);
        for (int l = 0; l < s.VisionLayers; l++)
        {
            string b = $"vision_model.encoder.layers.{l}.";
            Norm(b + "layer_norm1", dv);
            Dense(b + "self_attn.qkv", dv, 3 * dv);
            Dense(b + "self_attn.projection", dv, dv);
            Norm(b + "layer_norm2", dv);
            Dense(b + "mlp.fc1", dv, s.VisionHidden);
            Dense(b + "mlp.fc2", s.VisionHidden, dv, 0.1f);
        }
        Norm("vision_model.post_layernorm", dv);

        // A BERT (encoder or decoder) under prefix: embeddings, then layers with cross-attention to a context dv wide.
        void Bert(string prefix)
        {
            Add(prefix + "embeddings.word_embeddings.weight", [VocabSize, dt], 0.5f);
            Add(prefix + "embeddings.position_embeddings.weight", [s.Positions, dt], 0.5f);
            Norm(prefix + "embeddings.LayerNorm", dt);
            for (int l = 0; l < s.TextLayers; l++)
            {
                string b = $"{prefix}encoder.layer.{l}.";
                foreach (string a in new[] { "attention", "crossattention" })
                {
                    int kv = a == "attention" ? dt : dv;
                    Dense(b + a + ".self.query", dt, dt);
                    Dense(b + a + ".self.key", kv, dt);
                    Dense(b + a + ".self.value", kv, dt);
                    Dense(b + a + ".output.dense", dt, dt);
                    Norm(b + a + ".output.LayerNorm", dt);
                }
                Dense(b + "intermediate.dense", dt, s.TextHidden);
                Dense(b + "output.dense", s.TextHidden, dt, 0.1f);
                Norm(b + "output.LayerNorm", dt);
            }
        }

        if (architecture != BlipArchitecture.ConditionalGeneration) Bert("text_encoder.");
        if (architecture == BlipArchitecture.ImageTextRetrieval)
        {
            Dense("vision_proj", dv, s.ImageTextWidth);
            Dense("text_proj", dt, s.ImageTextWidth);
            Dense("itm_head", dt, 2, 0.5f);
        }
        else
        {
            Bert("text_decoder.bert.");
            Dense("text_decoder.cls.predictions.transform.dense", dt, dt, 0.3f);
            Norm("text_decoder.cls.predictions.transform.LayerNorm", dt);
            if (untiedLogits) Add("text_decoder.cls.predictions.decoder.weight", [VocabSize, dt], 0.5f);
            Add("text_decoder.cls.predictions.bias", [VocabSize], 0.3f);
        }

        var config = new Dictionary<string, object>
        {
            ["architectures"] = new[] { architecture switch
            {
                BlipArchitecture.ConditionalGeneration => "BlipForConditionalGeneration",
                BlipArchitecture.QuestionAnswering => "BlipForQuestionAnswering",
                _ => "BlipForImageTextRetrieval",
            } },
            ["model_type"] = "blip",
            ["image_text_hidden_size"] = s.ImageTextWidth,
            ["projection_dim"] = 512,
            ["text_config"] = new Dictionary<string, object>
            {
                ["hidden_size"] = dt, ["num_hidden_layers"] = s.TextLayers, ["num_attention_heads"] = s.TextHeads, ["intermediate_size"] = s.TextHidden,
                ["max_position_embeddings"] = s.Positions, ["vocab_size"] = VocabSize, ["encoder_hidden_size"] = dv, ["hidden_act"] = "gelu",
                ["layer_norm_eps"] = Shape.TextEps, ["bos_token_id"] = Dec, ["sep_token_id"] = 3, ["pad_token_id"] = 0, ["model_type"] = "blip_text_model",
            },
            ["vision_config"] = new Dictionary<string, object>
            {
                ["hidden_size"] = dv, ["num_hidden_layers"] = s.VisionLayers, ["num_attention_heads"] = s.VisionHeads, ["intermediate_size"] = s.VisionHidden,
                ["image_size"] = s.ImageSize, ["patch_size"] = s.Patch, ["hidden_act"] = "gelu", ["layer_norm_eps"] = Shape.VisionEps, ["model_type"] = "blip_vision_model",
            },
        };
        editConfig?.Invoke(config);
        ck.Save(config);
        File.WriteAllLines(Path.Combine(ck.Directory, "vocab.txt"), Vocab);
        File.WriteAllText(Path.Combine(ck.Directory, "tokenizer_config.json"), """{"do_lower_case": true, "tokenizer_class": "BertTokenizer", "bos_token": "[DEC]"}""");
        File.WriteAllText(Path.Combine(ck.Directory, "tokenizer.json"), $$"""
            {"version": "1.0", "added_tokens": [
              {"id": 0, "content": "[PAD]", "special": true}, {"id": 1, "content": "[UNK]", "special": true},
              {"id": 2, "content": "[CLS]", "special": true}, {"id": 3, "content": "[SEP]", "special": true},
              {"id": 4, "content": "[MASK]", "special": true},
              {"id": {{Dec}}, "content": "[DEC]", "special": true}, {"id": {{Enc}}, "content": "[ENC]", "special": true}]}
            """);
        File.WriteAllText(Path.Combine(ck.Directory, "preprocessor_config.json"), $$"""
            {"do_resize": true, "size": {"height": {{s.ImageSize}}, "width": {{s.ImageSize}}}, "resample": 3, "do_rescale": true,
             "rescale_factor": 0.00392156862745098, "do_normalize": true, "do_convert_rgb": true,
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
             "image_processor_type": "BlipImageProcessor", "processor_class": "BlipProcessor"}
            """);
        return ck;
    }
}
