using System.Text.Json;
using Sieve.Weights;
using Sieve.Data;

namespace Sieve.Tests.Support;

/// <summary>
/// Tiny Hugging Face <c>LlavaForConditionalGeneration</c> folders in the exact layout transformers saves (before 4.52):
/// <c>vision_tower.vision_model.…</c> (a CLIP vision tower), <c>multi_modal_projector.linear_1/linear_2</c>,
/// <c>language_model.model.…</c> (a Llama decoder) and <c>language_model.lm_head</c> (left out when tied);
/// <c>config.json</c>, <c>model.safetensors</c> and a SentencePiece-style BPE <c>tokenizer.json</c> in llava-hf's form
/// (Prepend("▁") + Replace normalizer, byte fallback, <c>&lt;s&gt;</c> added by the post-processor, <c>&lt;image&gt;</c> added)
/// and, as llava-hf's folders have it, <c>chat_template.json</c> with LLaVA-1.5's template.
/// </summary>
public static class TinyLlava
{
    /// <summary>The model's shape.</summary>
    public sealed record Shape(
        int VisionWidth = 32, int VisionLayers = 3, int VisionHeads = 4, int VisionHidden = 64, int ImageSize = 32, int Patch = 8,
        int TextWidth = 48, int TextLayers = 2, int Heads = 6, int KvHeads = 2, int TextHidden = 96, int Positions = 128,
        double RopeTheta = 10000, bool Tied = false, int FeatureLayer = -2)
    {
        public int Grid => ImageSize / Patch;
        public int Tokens => Grid * Grid + 1;
        public int HeadDim => TextWidth / Heads;
        public const double VisionEps = 1e-5, RmsEps = 1e-6;
    }

    /// <summary>The merges, highest priority first.</summary>
    public static readonly (string Left, string Right)[] Merges = [("▁", "U"), ("▁U", "S"), ("E", "R"), ("c", "a"), ("ca", "t"), ("▁", "cat")];

    static readonly string[] Characters = ["▁", "U", "S", "E", "R", ":", "A", "I", "T", "N", "?", "c", "a", "t", "d", "o", "g", "h", "e", "r", "s", "i", "w"];

    /// <summary>
    /// The vocabulary, id = index: &lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, the 256 byte tokens &lt;0x00&gt;… (3…258), single
    /// characters, then the merged pieces of <see cref="Merges"/> in order.
    /// </summary>
    public static readonly string[] Vocab = BuildVocab();


    static string[] BuildVocab()
    {
        var v = new List<string> { "<unk>", "<s>", "</s>" };
        for (int b = 0; b < 256; b++) v.Add($"<0x{b:X2}>");
        v.AddRange(Characters);
        foreach (var (l, r) in Merges) v.Add(l + r);
        return [.. v];
    }

    /// <summary>The id of &lt;image&gt;, added after the vocabulary.</summary>
    public static int ImageToken => Vocab.Length;

    /// <summary>Rows of the embedding matrix (the vocabulary, &lt;image&gt; and one padding row, as llava-hf pads).</summary>
    public static int VocabSize => Vocab.Length + 2;

    /// <summary>The id of a vocabulary piece, "&lt;image&gt;", or a byte as "0x0A".</summary>
    public static int Id(string piece) => piece == "<image>" ? ImageToken : Array.IndexOf(Vocab, piece) is var i and >= 0 ? i : throw new ArgumentException(piece);

    /// <summary>
    /// Writes a folder with seeded random weights; <paramref name="skip"/> leaves one tensor out, <paramref name="editConfig"/>
    /// changes config.json; <paramref name="chatTemplate"/> false leaves chat_template.json out.
    /// </summary>
    public static TinyCheckpoint Write(int seed, Shape? shape = null, string? skip = null, Action<Dictionary<string, object>>? editConfig = null, bool tokenizer = true,
        bool chatTemplate = true)
    {
        var s = shape ?? new Shape();
        var ck = new TinyCheckpoint(seed, DType.F32);
        int dv = s.VisionWidth, dt = s.TextWidth, kv = s.KvHeads * s.HeadDim;
        void Add(string name, int[] dims, float std = 0.2f, float mean = 0f)
        {
            if (name != skip) ck.Add(name, dims, std, mean);
        }
        void Norm(string p, int d)
        {
            Add(p + ".weight", [d], 0.1f, 1f);
            Add(p + ".bias", [d], 0.1f);
        }
        void Dense(string p, int inF, int outF, float std = 0.2f, bool bias = true)
        {
            Add(p + ".weight", [outF, inF], std);
            if (bias) Add(p + ".bias", [outF], 0.05f);
        }

        const string v = "vision_tower.vision_model.";
        Add(v + "embeddings.class_embedding", [dv], 0.5f);
        Add(v + "embeddings.patch_embedding.weight", [dv, 3, s.Patch, s.Patch], 0.05f);
        Add(v + "embeddings.position_embedding.weight", [s.Tokens, dv], 0.5f);
        Norm(v + "pre_layrnorm", dv);
        for (int l = 0; l < s.VisionLayers; l++)
        {
            string b = $"{v}encoder.layers.{l}.";
            Norm(b + "layer_norm1", dv);
            foreach (string p in new[] { "q_proj", "k_proj", "v_proj", "out_proj" }) Dense(b + "self_attn." + p, dv, dv);
            Norm(b + "layer_norm2", dv);
            Dense(b + "mlp.fc1", dv, s.VisionHidden);
            Dense(b + "mlp.fc2", s.VisionHidden, dv, 0.1f);
        }
        Norm(v + "post_layernorm", dv);
        Dense("multi_modal_projector.linear_1", dv, dt, 0.3f);
        Dense("multi_modal_projector.linear_2", dt, dt, 0.3f);

        const string m = "language_model.model.";
        Add(m + "embed_tokens.weight", [VocabSize, dt], 0.5f);
        for (int l = 0; l < s.TextLayers; l++)
        {
            string b = $"{m}layers.{l}.";
            Add(b + "input_layernorm.weight", [dt], 0.1f, 1f);
            Dense(b + "self_attn.q_proj", dt, s.Heads * s.HeadDim, 0.3f, bias: false);
            Dense(b + "self_attn.k_proj", dt, kv, 0.3f, bias: false);
            Dense(b + "self_attn.v_proj", dt, kv, 0.3f, bias: false);
            Dense(b + "self_attn.o_proj", s.Heads * s.HeadDim, dt, 0.2f, bias: false);
            Add(b + "post_attention_layernorm.weight", [dt], 0.1f, 1f);
            Dense(b + "mlp.gate_proj", dt, s.TextHidden, 0.2f, bias: false);
            Dense(b + "mlp.up_proj", dt, s.TextHidden, 0.2f, bias: false);
            Dense(b + "mlp.down_proj", s.TextHidden, dt, 0.2f, bias: false);
        }
        Add(m + "norm.weight", [dt], 0.1f, 1f);
        if (!s.Tied) Add("language_model.lm_head.weight", [VocabSize, dt], 0.5f);

        var config = new Dictionary<string, object>
        {
            ["architectures"] = new[] { "LlavaForConditionalGeneration" },
            ["model_type"] = "llava",
            ["image_token_index"] = ImageToken,
            ["vision_feature_layer"] = s.FeatureLayer,
            ["vision_feature_select_strategy"] = "default",
            ["projector_hidden_act"] = "gelu",
            ["tie_word_embeddings"] = s.Tied,
            ["vision_config"] = new Dictionary<string, object>
            {
                ["model_type"] = "clip_vision_model", ["hidden_size"] = dv, ["num_hidden_layers"] = s.VisionLayers, ["num_attention_heads"] = s.VisionHeads,
                ["intermediate_size"] = s.VisionHidden, ["image_size"] = s.ImageSize, ["patch_size"] = s.Patch, ["hidden_act"] = "quick_gelu", ["layer_norm_eps"] = Shape.VisionEps,
            },
            ["text_config"] = new Dictionary<string, object>
            {
                ["model_type"] = "llama", ["hidden_size"] = dt, ["num_hidden_layers"] = s.TextLayers, ["num_attention_heads"] = s.Heads,
                ["num_key_value_heads"] = s.KvHeads, ["intermediate_size"] = s.TextHidden, ["rms_norm_eps"] = Shape.RmsEps, ["rope_theta"] = s.RopeTheta,
                ["max_position_embeddings"] = s.Positions, ["vocab_size"] = VocabSize, ["hidden_act"] = "silu", ["tie_word_embeddings"] = s.Tied,
                ["bos_token_id"] = 1, ["eos_token_id"] = 2, ["rope_scaling"] = null!,
            },
        };
        editConfig?.Invoke(config);
        ck.Save(config);
        if (tokenizer) WriteTokenizer(ck.Directory);
        if (chatTemplate) File.WriteAllText(Path.Combine(ck.Directory, "chat_template.json"), JsonSerializer.Serialize(new { chat_template = LlavaChatTemplate.Llava15Jinja }));
        return ck;
    }

    /// <summary>tokenizer.json in the form llava-hf's LLaVA-1.5 folders have.</summary>
    public static void WriteTokenizer(string directory)
    {
        var vocab = new Dictionary<string, int>();
        for (int i = 0; i < Vocab.Length; i++) vocab[Vocab[i]] = i;
        var added = new List<object>
        {
            new { id = 0, content = "<unk>", special = true, normalized = false },
            new { id = 1, content = "<s>", special = true, normalized = false },
            new { id = 2, content = "</s>", special = true, normalized = false },
            new { id = ImageToken, content = "<image>", special = true, normalized = false },
            new { id = ImageToken + 1, content = "<pad>", special = true, normalized = false },
        };
        var json = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = new { type = "Sequence", normalizers = new object[] { new { type = "Prepend", prepend = "▁" }, new { type = "Replace", pattern = new { String = " " }, content = "▁" } } },
            ["pre_tokenizer"] = null,
            ["post_processor"] = new
            {
                type = "TemplateProcessing",
                single = new object[] { new { SpecialToken = new { id = "<s>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
            },
            ["decoder"] = new { type = "Sequence", decoders = new object[] { new { type = "Replace", pattern = new { String = "▁" }, content = " " }, new { type = "ByteFallback" }, new { type = "Fuse" }, new { type = "Strip", content = " ", start = 1, stop = 0 } } },
            ["model"] = new Dictionary<string, object>
            {
                ["type"] = "BPE", ["unk_token"] = "<unk>", ["fuse_unk"] = true, ["byte_fallback"] = true, ["vocab"] = vocab,
                ["merges"] = Merges.Select(p => $"{p.Left} {p.Right}").ToArray(),
            },
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), JsonSerializer.Serialize(json));
    }
}
