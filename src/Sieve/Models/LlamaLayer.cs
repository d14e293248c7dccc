using System.Numerics.Tensors;
using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Models;

/// <summary>
/// One Llama decoder layer (<c>LlamaDecoderLayer</c>): x += Attn(RMSNorm(x)); x += MLP(RMSNorm(x)), the attention causal
/// over a key/value cache with rotary positions.
/// </summary>
internal sealed class LlamaLayer(RmsNorm inputNorm, GroupedQueryAttention attention, RmsNorm postAttentionNorm, GatedMlp mlp)
{
    /// <summary>The layer's attention (its key width sizes the cache).</summary>
    public GroupedQueryAttention Attention => attention;

    /// <summary>Reads layer <paramref name="prefix"/> (…<c>layers.i.</c>) of a Llama checkpoint.</summary>
    public static LlamaLayer Read(CheckpointReader w, string prefix, LlamaConfig c, RotaryEmbedding rotary)
    {
        int d = c.Width, q = c.Heads * c.HeadDim, kv = c.KvHeads * c.HeadDim;
        var qkv = w.Stacked([(prefix + "self_attn.q_proj", q), (prefix + "self_attn.k_proj", kv), (prefix + "self_attn.v_proj", kv)], d, w.Precision);
        var output = w.Linear(prefix + "self_attn.o_proj", q, d, bias: false, precision: w.Precision);
        var gateUp = w.Stacked([(prefix + "mlp.gate_proj", c.MlpHidden), (prefix + "mlp.up_proj", c.MlpHidden)], d, w.Precision);
        var down = w.Linear(prefix + "mlp.down_proj", c.MlpHidden, d, bias: false, precision: w.Precision);
        return new LlamaLayer(new RmsNorm(w.Weight(prefix + "input_layernorm", d), c.RmsNormEps),
            new GroupedQueryAttention(qkv, output, c.Heads, c.KvHeads, rotary),
            new RmsNorm(w.Weight(prefix + "post_attention_layernorm", d), c.RmsNormEps), new GatedMlp(gateUp, down));
    }

    /// <summary>Runs the <paramref name="tokens"/> newest rows of <paramref name="x"/> [tokens, D] in place.</summary>
    /// <param name="x">The rows, overwritten with the layer's output.</param>
    /// <param name="tokens">New tokens.</param>
    /// <param name="positions">Their positions.</param>
    /// <param name="cache">This layer's keys and values.</param>
    /// <param name="keyBias">Null, or log(size) per cached key.</param>
    /// <param name="probabilities">Null, or where the attention's softmax is kept [heads, tokens, keys].</param>
    public void Forward(Span<float> x, int tokens, ReadOnlySpan<int> positions, KeyValueCache cache, float[]? keyBias, float[]? probabilities = null)
    {
        int d = inputNorm.Width;
        using var normed = new Scratch(tokens * d);
        using var delta = new Scratch(tokens * d);
        inputNorm.Forward(x, normed.Span, tokens);
        attention.Forward(normed.Span, tokens, positions, delta.Span, cache, keyBias, probabilities);
        using (OpProfile.Time(OpKind.Residual)) TensorPrimitives.Add(x, delta.Span, x);
        postAttentionNorm.Forward(x, normed.Span, tokens);
        mlp.Forward(normed.Span, tokens, delta.Span);
        using var time = OpProfile.Time(OpKind.Residual);
        TensorPrimitives.Add(x, delta.Span, x);
    }

    /// <summary>Multiply-adds for <paramref name="tokens"/> new tokens over <paramref name="keys"/> keys in all.</summary>
    public long MacsFor(int tokens, int keys) => attention.MacsFor(tokens, keys) + mlp.MacsFor(tokens);
}
