using Sieve.Weights;

namespace Sieve.Models;

/// <summary>A Llama-family decoder's shape (Hugging Face <c>LlamaConfig</c>, LLaVA's <c>text_config</c>).</summary>
/// <param name="Width">hidden_size.</param>
/// <param name="Layers">num_hidden_layers.</param>
/// <param name="Heads">num_attention_heads.</param>
/// <param name="KvHeads">num_key_value_heads (grouped-query attention when fewer than the heads).</param>
/// <param name="HeadDim">head_dim (hidden_size / heads unless stated).</param>
/// <param name="MlpHidden">intermediate_size.</param>
/// <param name="RmsNormEps">rms_norm_eps.</param>
/// <param name="RopeTheta">rope_theta.</param>
/// <param name="MaxPositions">max_position_embeddings: the longest sequence (prompt, image tokens and answer).</param>
/// <param name="VocabSize">vocab_size.</param>
/// <param name="TieWordEmbeddings">The LM head is the token embedding matrix (tie_word_embeddings).</param>
public sealed record LlamaConfig(int Width, int Layers, int Heads, int KvHeads, int HeadDim, int MlpHidden, float RmsNormEps, double RopeTheta,
    int MaxPositions, int VocabSize, bool TieWordEmbeddings)
{
    /// <summary>Reads a <c>text_config</c> section; missing fields take <c>LlamaConfig</c>'s defaults.</summary>
    internal static LlamaConfig Read(JsonConfig c, bool tieFallback)
    {
        int width = c.Int("hidden_size", 4096, 1, ConfigLimits.MaxWidth), heads = c.Int("num_attention_heads", 32, 1, ConfigLimits.MaxWidth);
        var config = new LlamaConfig(width, c.Int("num_hidden_layers", 32, 1, ConfigLimits.MaxLayers), heads,
            c.Int("num_key_value_heads", heads, 1, ConfigLimits.MaxWidth), c.Has("head_dim") && c.Find("head_dim")!.Value.ValueKind != System.Text.Json.JsonValueKind.Null
                ? c.Int("head_dim", null, 2, ConfigLimits.MaxWidth) : width / heads,
            c.Int("intermediate_size", 11008, 1, ConfigLimits.MaxMlpHidden), (float)c.Number("rms_norm_eps", 1e-6), c.Number("rope_theta", 10000),
            c.Int("max_position_embeddings", 2048, 1, ConfigLimits.MaxTextPositions), c.Int("vocab_size", 32000, 1, ConfigLimits.MaxTableRows),
            c.Bool("tie_word_embeddings", tieFallback));
        if (config.Heads % config.KvHeads != 0)
            throw c.Problem("num_key_value_heads", $"is {config.KvHeads}; it must divide num_attention_heads {config.Heads}");
        if (config.HeadDim % 2 != 0 || config.HeadDim * heads > ConfigLimits.MaxWidth)
            throw c.Problem("head_dim", $"is {config.HeadDim}; rotary embeddings need an even head width, and heads × head_dim at most {ConfigLimits.MaxWidth}");
        if (!(config.RmsNormEps > 0)) throw c.Problem("rms_norm_eps", $"is {config.RmsNormEps}; it must be positive");
        if (!(config.RopeTheta > 1) || !double.IsFinite(config.RopeTheta)) throw c.Problem("rope_theta", $"is {config.RopeTheta}; it must be a finite number above 1");
        if (c.String("hidden_act", "silu") is var act && act != "silu") throw c.Problem("hidden_act", $"is \"{act}\"; supported: \"silu\"");
        if (c.Find("rope_scaling") is { ValueKind: not System.Text.Json.JsonValueKind.Null })
            throw c.Problem("rope_scaling", "is set; Sieve supports the default rotary embedding only (rope_scaling null)");
        if (c.Bool("attention_bias", false)) throw c.Problem("attention_bias", "is true; Sieve supports Llama attention without biases");
        if (c.Bool("mlp_bias", false)) throw c.Problem("mlp_bias", "is true; Sieve supports a Llama MLP without biases");
        return config;
    }
}
