using System.Numerics.Tensors;
using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// The per-head core both attentions share: softmax(q_h·k_hᵀ/√d_h + key bias)·v_h for every head, in parallel,
/// from projections laid out as rows of any stride (self-attention's fused [q; k; v] rows, cross-attention's
/// separate query rows and fused [k; v] context rows). Each head's scores exist only while it is computed.
/// </summary>
internal static class AttentionHeads
{
    [ThreadStatic] static PackedMatrix? _keys, _values;

    /// <summary>
    /// Writes every head's output into <paramref name="context"/> [queries, width] (head h in columns h·width/heads …).
    /// Query row i's head h starts at <c>i·qStride + h·dh</c> of <paramref name="q"/>; key row j's at
    /// <c>kOffset + j·kvStride + h·dh</c> of <paramref name="kv"/>, its value at <c>vOffset + j·kvStride + h·dh</c>.
    /// When <paramref name="causal"/>, query i sees keys ≤ i + (keys − queries): the queries are the sequence's last
    /// (all of it in a plain forward, the newest tokens over a key/value cache); <paramref name="keyBias"/> (null, or one value per key,
    /// log(size) for proportional attention) is added to every scaled logit; <paramref name="probabilities"/> (null, or
    /// [heads, queries, keys]) keeps the softmax. With <paramref name="kvHeads"/> fewer than the heads (grouped-query
    /// attention), each run of heads / kvHeads query heads shares one key/value head; 0 means as many as the heads.
    /// <paramref name="packed"/> (null, or each key/value head's keys and values packed already, as
    /// <see cref="ContextKeyValues"/> and <see cref="KeyValueCache"/> keep them) saves packing them: <paramref name="kv"/>
    /// and its offsets are then not read.
    /// </summary>
    public static void Run(float[] q, int qStride, float[] kv, int kOffset, int vOffset, int kvStride, int queries, int keys, int width, int heads,
        float[] context, bool causal, float[]? keyBias, float[]? probabilities, int kvHeads = 0,
        (IReadOnlyList<PackedMatrix> Keys, IReadOnlyList<PackedMatrix> Values)? packed = null)
    {
        int group = kvHeads == 0 ? 1 : heads / kvHeads;
        int dh = width / heads;
        float scale = 1f / MathF.Sqrt(dh);
        long macs = (long)heads * queries * keys * dh;
        OpProfile.Count(OpKind.AttentionScores, macs);
        OpProfile.Count(OpKind.AttentionValues, macs);
        Threading.For(heads, h =>
        {
            // One pair per thread, reused: fresh panels per head and block would be megabytes of garbage per image.
            PackedMatrix keyPanel, valuePanel;
            if (packed is var (keyPanels, valuePanels)) (keyPanel, valuePanel) = (keyPanels[h / group], valuePanels[h / group]);
            else
            {
                (keyPanel, valuePanel) = (_keys ??= new PackedMatrix(), _values ??= new PackedMatrix());
                using (OpProfile.Time(OpKind.AttentionScores)) keyPanel.PackOutputRows(kv.AsSpan(kOffset + h / group * dh), keys, dh, kvStride);
                using (OpProfile.Time(OpKind.AttentionValues)) valuePanel.PackInputRows(kv.AsSpan(vOffset + h / group * dh), keys, dh, kvStride);
            }
            using var scoresBuffer = new Scratch(queries * keys);
            var scores = scoresBuffer.Span;
            using (OpProfile.Time(OpKind.AttentionScores))
                Gemm.Multiply(q.AsSpan(h * dh), qStride, queries, keyPanel, scores, keys, parallel: false);
            using (OpProfile.Time(OpKind.Softmax))
            {
                for (int i = 0; i < queries; i++)
                {
                    var row = scores.Slice(i * keys, keys);
                    int visible = causal ? keys - queries + i + 1 : keys;
                    TensorPrimitives.Multiply(row[..visible], scale, row[..visible]);
                    if (keyBias != null) TensorPrimitives.Add(row[..visible], keyBias.AsSpan(0, visible), row[..visible]);
                    Softmax.InPlace(row[..visible]);
                    row[visible..].Clear();
                }
            }
            if (probabilities != null) scores.CopyTo(probabilities.AsSpan(h * queries * keys, queries * keys));
            using var values = OpProfile.Time(OpKind.AttentionValues);
            Gemm.Multiply(scores, keys, queries, valuePanel, context.AsSpan(h * dh), width, parallel: false);
        });
    }
}
