using Sieve.Nn;
using Sieve.Tensors;
using Sieve.Tests.Support;

namespace Sieve.Tests.Nn;

/// <summary>
/// The per-head attention core against float64 on sequences of a few hundred tokens, with a key bias, causal masks over
/// a cache, grouped key/value heads and the probabilities kept; each query's output the same bits alone as among all
/// (the decoder's one-token steps against a full recompute); and keys and values packed once (a cross-attention's
/// context) the same bits as packed per call.
/// </summary>
public sealed class AttentionHeadsTests
{
    const int Heads = 2, Dh = 8, Width = Heads * Dh;

    // softmax(q·kᵀ/√dh + bias)·v per head in float64, query i seeing keys ≤ i + keys − queries when causal.
    static (double[] Context, double[] Probabilities) Reference(float[] q, float[] k, float[] v, int queries, int keys, bool causal, float[] bias, int kvHeads)
    {
        var context = new double[queries * Width];
        var probabilities = new double[Heads * queries * keys];
        for (int h = 0; h < Heads; h++)
        {
            int g = h / (Heads / kvHeads);
            for (int i = 0; i < queries; i++)
            {
                int visible = causal ? keys - queries + i + 1 : keys;
                var p = new double[keys];
                double max = double.NegativeInfinity, sum = 0;
                for (int j = 0; j < visible; j++)
                {
                    double s = 0;
                    for (int c = 0; c < Dh; c++) s += (double)q[i * Width + h * Dh + c] * k[j * Width + g * Dh + c];
                    p[j] = s / Math.Sqrt(Dh) + bias[j];
                    max = Math.Max(max, p[j]);
                }
                for (int j = 0; j < visible; j++) sum += p[j] = Math.Exp(p[j] - max);
                for (int j = 0; j < visible; j++)
                {
                    p[j] /= sum;
                    probabilities[(h * queries + i) * keys + j] = p[j];
                    for (int c = 0; c < Dh; c++) context[i * Width + h * Dh + c] += p[j] * v[j * Width + g * Dh + c];
                }
            }
        }
        return (context, probabilities);
    }

    [Theory]
    [InlineData(230, 230, false, 2)]
    [InlineData(150, 230, true, 2)]  // the newest 150 tokens over a cache of 230
    [InlineData(230, 230, true, 1)]  // two query heads on one key/value head
    public void LongSequencesMatchFloat64(int queries, int keys, bool causal, int kvHeads)
    {
        var rng = new Random(queries + keys + kvHeads);
        var q = Rand.Normal(rng, queries * Width);
        var k = Rand.Normal(rng, keys * Width);
        var v = Rand.Normal(rng, keys * Width);
        var bias = Rand.Uniform(rng, keys);
        // Keys and values as one [keys, 2·Width] buffer (the fused rows attention reads), k first.
        var kv = new float[keys * 2 * Width];
        for (int j = 0; j < keys; j++)
        {
            k.AsSpan(j * Width, Width).CopyTo(kv.AsSpan(j * 2 * Width));
            v.AsSpan(j * Width, Width).CopyTo(kv.AsSpan(j * 2 * Width + Width));
        }
        var context = new float[queries * Width];
        var probabilities = new float[Heads * queries * keys];
        AttentionHeads.Run(q, Width, kv, 0, Width, 2 * Width, queries, keys, Width, Heads, context, causal, bias, probabilities, kvHeads);
        var (want, wantP) = Reference(q, k, v, queries, keys, causal, bias, kvHeads);
        for (int i = 0; i < context.Length; i++) Assert.True(Math.Abs(context[i] - want[i]) <= 1e-5, $"context {i}: {context[i]} vs {want[i]}");
        for (int i = 0; i < probabilities.Length; i++) Assert.True(Math.Abs(probabilities[i] - wantP[i]) <= 1e-6, $"probability {i}: {probabilities[i]} vs {wantP[i]}");

        // Each query alone (as the last one of a causal sequence cut there) gives its row's bits.
        foreach (int i in new[] { 0, 137, 138, queries - 1 })
        {
            var one = new float[Width];
            int seen = causal ? keys - queries + i + 1 : keys;
            AttentionHeads.Run(q[(i * Width)..((i + 1) * Width)], Width, kv, 0, Width, 2 * Width, 1, seen, Width, Heads, one, causal, bias, null, kvHeads);
            Assert.Equal(context.AsSpan(i * Width, Width).ToArray(), one);
        }
        if (causal) return;
        var (keyPanels, valuePanels) = (new PackedMatrix[kvHeads], new PackedMatrix[kvHeads]);
        for (int g = 0; g < kvHeads; g++)
        {
            (keyPanels[g], valuePanels[g]) = (new PackedMatrix(), new PackedMatrix());
            keyPanels[g].PackOutputRows(kv.AsSpan(g * Dh), keys, Dh, 2 * Width);
            valuePanels[g].PackInputRows(kv.AsSpan(Width + g * Dh), keys, Dh, 2 * Width);
        }
        var prepacked = new float[queries * Width];
        AttentionHeads.Run(q, Width, kv, 0, Width, 2 * Width, queries, keys, Width, Heads, prepacked, causal, bias, null, kvHeads, (keyPanels, valuePanels));
        Assert.Equal(context, prepacked);
    }
}
