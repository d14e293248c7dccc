using Sieve.Models;
using Sieve.Tensors;

namespace Sieve.Export;

internal sealed partial class TransformerGraph
{
    /// <summary>
    /// A post-norm (BERT) block, block <paramref name="layer"/> (0-based) of its tower, each sum normalised: x ← LN(x + Attn(x)); with <paramref name="context"/> and a block
    /// that has one, x ← LN(x + CrossAttn(x, context)); then x ← LN(x + MLP(x)). The context is [batch, keys, contextWidth];
    /// null skips the cross-attention.
    /// </summary>
    public string PostNormBlock(string x, BlockNames names, int layer, int width, int heads, int hidden, float eps, Activation activation,
        string? context = null, int contextWidth = 0)
    {
        x = LayerNorm(g.Op("Add", [x, Attention(x, names, layer, width, heads, mask: null)]), names.Norm1, width, eps);
        if (context != null && names.Cross is { } cross)
            x = LayerNorm(g.Op("Add", [x, CrossAttention(x, context, cross, width, contextWidth, heads)]), cross.Norm, width, eps);
        string mlp = Mlp(x, names, layer, width, hidden, activation);
        return LayerNorm(g.Op("Add", [x, mlp]), names.Norm2, width, eps);
    }

    /// <summary>
    /// Queries from x (D → D), keys and values from the context (D_c → D), the heads' outputs projected (D → D), each in the
    /// tower's precision as Sieve's cross-attention has them (key and value quantized apart give what Sieve's stack does: per row).
    /// </summary>
    string CrossAttention(string x, string context, CrossAttentionNames names, int d, int contextWidth, int heads)
    {
        string q = BlockLinear(x, names.Q, d, d, w.Precision);
        string k = BlockLinear(context, names.K, contextWidth, d, w.Precision), v = BlockLinear(context, names.V, contextWidth, d, w.Precision);
        return BlockLinear(MultiHead(q, k, v, d, heads, mask: null), names.Proj, d, d, w.Precision);
    }
}
