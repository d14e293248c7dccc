using Sieve.Weights;

namespace Sieve.Tests.Support;

/// <summary>
/// Tiny Hugging Face ViLT folders in the exact layout (<c>vilt.embeddings…</c>, <c>vilt.encoder.layer.N…</c>,
/// <c>classifier.{0,1,3}</c>, <c>rank_output</c>): <c>config.json</c>, <c>model.safetensors</c>, a BERT
/// <c>vocab.txt</c> (<see cref="Vocab"/>) and a <c>preprocessor_config.json</c> scaled down to the tiny
/// model (shorter side <see cref="Shape.ImageSize"/>, sides multiples of the patch).
/// </summary>
public static class TinyVilt
{
    /// <summary>The model's shape and which parts the folder holds.</summary>
    /// <param name="Width">hidden_size.</param>
    /// <param name="Layers">num_hidden_layers.</param>
    /// <param name="Heads">num_attention_heads.</param>
    /// <param name="Hidden">intermediate_size.</param>
    /// <param name="ImageSize">image_size (the position grid is ImageSize / Patch square).</param>
    /// <param name="Patch">patch_size.</param>
    /// <param name="Positions">max_position_embeddings: the most text tokens.</param>
    /// <param name="Answers">VQA answers (id2label "answer 0" …); 0 writes no VQA head.</param>
    /// <param name="Match">Write the image–text matching head (rank_output).</param>
    /// <param name="Prefix">Tensor names start with "vilt." (the heads' models) or not (a bare ViltModel).</param>
    /// <param name="VocabFile">Write vocab.txt.</param>
    public sealed record Shape(
        int Width = 32, int Layers = 2, int Heads = 4, int Hidden = 64, int ImageSize = 32, int Patch = 8, int Positions = 12,
        int Answers = 7, bool Match = true, bool Prefix = true, bool VocabFile = true)
    {
        public int Grid => ImageSize / Patch;
        public string P => Prefix ? "vilt." : "";
        public const double Eps = 1e-12;
    }

    /// <summary>
    /// The vocabulary, id = index: BERT's special tokens first (as in bert-base-uncased, [PAD] 0, [UNK] 1,
    /// [CLS] 2, [SEP] 3, [MASK] 4), then whole words, punctuation, continuations and two CJK characters.
    /// </summary>
    public static readonly string[] Vocab =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "what", "is", "the", "color", "of", "a", "cat", "dog", "cafe", "play", "un", "on", "sofa",
        "?", ".", ",", "'", "!",
        "##s", "##ing", "##aff", "##able", "##e",
        "中", "国",
    ];

    public static int Id(string token) => Array.IndexOf(Vocab, token);

    /// <summary>Writes a folder with seeded random weights (values readable back through <see cref="TinyCheckpoint.Values"/>).</summary>
    public static TinyCheckpoint Write(int seed, Shape? shape = null, DType dtype = DType.F32, Action<Dictionary<string, object>>? editConfig = null)
    {
        var s = shape ?? new Shape();
        var ck = new TinyCheckpoint(seed, dtype);
        int d = s.Width, grid = s.Grid;
        string p = s.P, e = p + "embeddings.";
        ck.Add(e + "text_embeddings.word_embeddings.weight", [Vocab.Length, d], 0.5f);
        ck.Add(e + "text_embeddings.position_embeddings.weight", [s.Positions, d], 0.5f);
        ck.Add(e + "text_embeddings.token_type_embeddings.weight", [2, d], 0.5f);
        AddNorm(ck, e + "text_embeddings.LayerNorm", d);
        ck.Add(e + "cls_token", [1, 1, d], 0.5f);
        ck.Add(e + "patch_embeddings.projection.weight", [d, 3, s.Patch, s.Patch], 0.05f);
        ck.Add(e + "patch_embeddings.projection.bias", [d]);
        ck.Add(e + "position_embeddings", [1, 1 + grid * grid, d], 0.5f);
        ck.Add(e + "token_type_embeddings.weight", [2, d], 0.5f);
        for (int l = 0; l < s.Layers; l++)
        {
            string b = $"{p}encoder.layer.{l}.";
            AddNorm(ck, b + "layernorm_before", d);
            foreach (var proj in new[] { "attention.attention.query", "attention.attention.key", "attention.attention.value", "attention.output.dense" })
            {
                ck.Add(b + proj + ".weight", [d, d], 0.2f);
                ck.Add(b + proj + ".bias", [d]);
            }
            AddNorm(ck, b + "layernorm_after", d);
            ck.Add(b + "intermediate.dense.weight", [s.Hidden, d], 0.2f);
            ck.Add(b + "intermediate.dense.bias", [s.Hidden]);
            ck.Add(b + "output.dense.weight", [d, s.Hidden], 0.1f);
            ck.Add(b + "output.dense.bias", [d]);
        }
        AddNorm(ck, p + "layernorm", d);
        ck.Add(p + "pooler.dense.weight", [d, d], 0.2f);
        ck.Add(p + "pooler.dense.bias", [d]);
        if (s.Answers > 0)
        {
            ck.Add("classifier.0.weight", [2 * d, d], 0.2f);
            ck.Add("classifier.0.bias", [2 * d]);
            AddNorm(ck, "classifier.1", 2 * d);
            ck.Add("classifier.3.weight", [s.Answers, 2 * d], 0.2f);
            ck.Add("classifier.3.bias", [s.Answers]);
        }
        if (s.Match)
        {
            ck.Add("rank_output.weight", [1, d], 0.3f);
            ck.Add("rank_output.bias", [1]);
        }
        var config = new Dictionary<string, object>
        {
            ["architectures"] = new[] { s.Answers > 0 ? "ViltForQuestionAnswering" : s.Match ? "ViltForImageAndTextRetrieval" : "ViltModel" },
            ["model_type"] = "vilt",
            ["hidden_size"] = d, ["num_hidden_layers"] = s.Layers, ["num_attention_heads"] = s.Heads, ["intermediate_size"] = s.Hidden,
            ["hidden_act"] = "gelu", ["layer_norm_eps"] = Shape.Eps, ["image_size"] = s.ImageSize, ["patch_size"] = s.Patch,
            ["max_position_embeddings"] = s.Positions, ["vocab_size"] = Vocab.Length, ["type_vocab_size"] = 2,
            ["modality_type_vocab_size"] = 2, ["max_image_length"] = -1,
        };
        if (s.Answers > 0) config["id2label"] = Enumerable.Range(0, s.Answers).ToDictionary(i => i.ToString(), i => $"answer {i}");
        editConfig?.Invoke(config);
        ck.Save(config);
        if (s.VocabFile) File.WriteAllLines(Path.Combine(ck.Directory, "vocab.txt"), Vocab);
        File.WriteAllText(Path.Combine(ck.Directory, "preprocessor_config.json"), $$"""
            {"do_resize": true, "size": {"shortest_edge": {{s.ImageSize}}}, "size_divisor": {{s.Patch}}, "resample": 3,
             "do_rescale": true, "rescale_factor": 0.00392156862745098, "do_normalize": true,
             "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "do_pad": true, "image_processor_type": "ViltImageProcessor"}
            """);
        return ck;
    }

    static void AddNorm(TinyCheckpoint ck, string p, int d)
    {
        ck.Add(p + ".weight", [d], 0.1f, 1f);
        ck.Add(p + ".bias", [d]);
    }
}
