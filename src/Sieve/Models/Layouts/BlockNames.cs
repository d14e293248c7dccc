namespace Sieve.Models;

/// <summary>
/// Tensor name prefixes of one transformer block in a given checkpoint layout: either a fused <see cref="Qkv"/>
/// or separate <see cref="Q"/>, <see cref="K"/>, <see cref="V"/>; and, for a block with one, its <see cref="Cross"/>-attention.
/// </summary>
internal sealed record BlockNames(string Norm1, string? Qkv, string? Q, string? K, string? V, string Proj, string Norm2, string Fc1, string Fc2)
{
    /// <summary>The cross-attention sublayer's names, or null for a block without one.</summary>
    public CrossAttentionNames? Cross { get; init; }

    /// <summary>A timm ViT block: <c>blocks.{i}.norm1</c>, <c>blocks.{i}.attn.qkv</c>, ….</summary>
    public static BlockNames Timm(int i) =>
        new($"blocks.{i}.norm1", $"blocks.{i}.attn.qkv", null, null, null, $"blocks.{i}.attn.proj", $"blocks.{i}.norm2", $"blocks.{i}.mlp.fc1", $"blocks.{i}.mlp.fc2");

    /// <summary>A Hugging Face CLIP encoder layer: <c>layer_norm1</c>, <c>self_attn.{q,k,v}_proj</c>, ….</summary>
    public static BlockNames HuggingFace(string layer) =>
        new($"{layer}.layer_norm1", null, $"{layer}.self_attn.q_proj", $"{layer}.self_attn.k_proj", $"{layer}.self_attn.v_proj",
            $"{layer}.self_attn.out_proj", $"{layer}.layer_norm2", $"{layer}.mlp.fc1", $"{layer}.mlp.fc2");

    /// <summary>A Hugging Face ViT/BERT-style layer (<c>ViltLayer</c>): <c>layernorm_before</c>, <c>attention.attention.{query,key,value}</c>, ….</summary>
    public static BlockNames Vilt(string layer) =>
        new($"{layer}.layernorm_before", null, $"{layer}.attention.attention.query", $"{layer}.attention.attention.key", $"{layer}.attention.attention.value",
            $"{layer}.attention.output.dense", $"{layer}.layernorm_after", $"{layer}.intermediate.dense", $"{layer}.output.dense");

    /// <summary>A Hugging Face BLIP vision layer: <c>layer_norm1</c>, the fused <c>self_attn.qkv</c>, <c>self_attn.projection</c>, ….</summary>
    public static BlockNames Blip(string layer) =>
        new($"{layer}.layer_norm1", $"{layer}.self_attn.qkv", null, null, null, $"{layer}.self_attn.projection", $"{layer}.layer_norm2", $"{layer}.mlp.fc1", $"{layer}.mlp.fc2");

    /// <summary>
    /// A BERT layer (<c>BlipTextLayer</c>), post-norm: <c>attention.self.{query,key,value}</c>, <c>attention.output.dense</c>
    /// and the LayerNorm after it, <c>intermediate.dense</c>, <c>output.dense</c> and <c>output.LayerNorm</c>; with
    /// <paramref name="cross"/>, the <c>crossattention</c> sublayer named alike.
    /// </summary>
    public static BlockNames Bert(string layer, bool cross) =>
        new($"{layer}.attention.output.LayerNorm", null, $"{layer}.attention.self.query", $"{layer}.attention.self.key", $"{layer}.attention.self.value",
            $"{layer}.attention.output.dense", $"{layer}.output.LayerNorm", $"{layer}.intermediate.dense", $"{layer}.output.dense")
        {
            Cross = cross ? new CrossAttentionNames($"{layer}.crossattention.self.query", $"{layer}.crossattention.self.key",
                $"{layer}.crossattention.self.value", $"{layer}.crossattention.output.dense", $"{layer}.crossattention.output.LayerNorm") : null,
        };

    /// <summary>The module the q/k/v projection is named after: timm's fused one, or Hugging Face's stack as "….self_attn.qkv".</summary>
    public string QkvModule => Qkv ?? Q![..Q!.LastIndexOf('.')] + ".qkv";
}

/// <summary>Tensor name prefixes of a cross-attention sublayer: query, key, value, output projection and its LayerNorm.</summary>
internal sealed record CrossAttentionNames(string Q, string K, string V, string Proj, string Norm);
