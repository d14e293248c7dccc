using System.Numerics.Tensors;
using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Reduction;

/// <summary>
/// MADTP (ALGORITHMS.md §3): per block, an importance per candidate token from self-attention, the
/// alignment tokens and the guide's attention weighted by per-head output norms; a dynamic threshold
/// θ = min_m Σ_n softmax_n(Q[n, m]/T)·I_n; tokens above θ survive, the rest fuse into one token
/// (importance-weighted). Every sample decides for itself; T = 0 disables pruning. In a fusion model's
/// single stream (ViLT) only image tokens are pruned, and the text's attention to them joins the
/// importance as a fourth term: the other modality guides directly.
/// </summary>
internal sealed class MadtpReducer : TokenReducer
{
    readonly MagTokens _mag;
    readonly float[]? _maps;

    /// <param name="tower">The tower it runs in.</param>
    /// <param name="temperature">T ≥ 0; larger prunes more; 0 is the dense model.</param>
    /// <param name="mag">Alignment tokens; their width must be the tower's unless <paramref name="maps"/> are given.</param>
    /// <param name="maps">Null, or per-layer maps [layers, D_s, D] from the tower's width to the tokens' width.</param>
    /// <param name="proportionalAttention">Add log(size) to key logits once sizes differ.</param>
    public MadtpReducer(TowerInfo tower, double temperature, MagTokens mag, float[]? maps = null, bool proportionalAttention = true)
        : base(tower, proportionalAttention)
    {
        if (!(temperature >= 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "MADTP temperature must be a finite number ≥ 0");
        if (maps == null && mag.Width != tower.Width)
            throw new ArgumentException($"alignment tokens are {mag.Width} wide but the {tower.Name} tower is {tower.Width} wide, and no per-layer maps were given", nameof(mag));
        if (maps != null && maps.Length != tower.Layers * mag.Width * tower.Width)
            throw new ArgumentException($"alignment maps for the {tower.Name} tower have {maps.Length} values, expected {tower.Layers}×{mag.Width}×{tower.Width}", nameof(maps));
        Temperature = temperature;
        _mag = mag;
        _maps = maps;
    }

    /// <summary>The temperature T.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override bool NeedsProbabilities(int layer) => Temperature > 0;

    /// <inheritdoc />
    public override bool NeedsHeadOutputs => Temperature > 0;

    /// <inheritdoc />
    public override long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention)
    {
        if (Temperature == 0) return 0;
        int n = tokens.Count, d = tokens.Width, heads = attention.Heads, m = _mag.Count;
        bool fusion = tokens.Modality == Modality.Multimodal;
        var group = tokens.MergeGroups();
        var candidates = Ranking.Candidates(fusion ? group.Select(g => g == (int)Modality.Image ? g : -1).ToArray() : group);
        int nc = candidates.Length;
        if (nc < 3) return 0;

        using var q = new Scratch(m * nc);
        var importance = Importance(layer, tokens, attention, candidates, q.Array);
        double theta = Threshold(q.Array, nc, m, importance);
        int keep = importance.Count(v => v > theta);
        long macs = (long)nc * m * _mag.Width + (_maps != null ? (long)nc * d * _mag.Width : 0) + (long)heads * n * n + (long)nc * m
            + (fusion ? (long)heads * (n - nc) * nc : 0);
        if (keep < 1 || nc - keep <= 1) return macs;

        var target = Enumerable.Range(0, n).ToArray();
        var weight = new float[n];
        double restImportance = 0;
        for (int c = 0; c < nc; c++)
            if (!(importance[c] > theta)) restImportance += importance[c];
        for (int c = 0; c < nc; c++)
        {
            int i = candidates[c];
            if (importance[c] > theta) continue;
            target[i] = MergePlan.Fused;
            // Importance-weighted fusion; if importances cannot weigh (all ≤ 0), fall back to sizes.
            weight[i] = restImportance > 0 ? MathF.Max(importance[c], 0) : tokens.Sizes[i];
        }
        tokens.Apply(MergePlan.FromTargets(target, weight));
        return macs + (long)(nc - keep) * d;
    }

    /// <summary>I_n = (A_n + G_n + C_n) / 3 over the candidates, (A_n + G_n + C_n + X_n) / 4 with the text's attention X in a fusion stream; also returns Q = X·Sᵀ [M, nc].</summary>
    float[] Importance(int layer, TokenSet tokens, AttentionCapture attention, int[] candidates, float[] q)
    {
        int n = tokens.Count, d = tokens.Width, heads = attention.Heads, dh = d / heads, nc = candidates.Length;
        var p = attention.Probabilities;

        // Self-attention: Σ over candidate queries of the head-max probability, normalised to sum 1.
        var columnSum = new float[n];
        var headMax = new float[n];
        foreach (int i in candidates)
        {
            p.Slice(i * n, n).CopyTo(headMax);
            for (int h = 1; h < heads; h++) TensorPrimitives.Max(headMax, p.Slice((h * n + i) * n, n), headMax);
            TensorPrimitives.Add(columnSum, headMax, columnSum);
        }
        var a = new float[nc];
        for (int c = 0; c < nc; c++) a[c] = columnSum[candidates[c]];
        Normalize(a, 0);

        // Alignment guidance: Q = X·Sᵀ, G_n = max_m Q[n, m], normalised by its sum.
        using var xBuffer = new Scratch(nc * _mag.Width);
        var x = xBuffer.Span;
        for (int c = 0; c < nc; c++)
        {
            var row = tokens.Row(candidates[c]);
            if (_maps == null) row.CopyTo(x.Slice(c * d, d));
            else
                for (int s = 0; s < _mag.Width; s++)
                    x[c * _mag.Width + s] = TensorPrimitives.Dot(_maps.AsSpan((layer * _mag.Width + s) * d, d), row);
        }
        // Q is kept transposed, [M, nc], so each alignment token's scores are one contiguous row.
        KeyMetric.Dots(_mag.Tokens, x, _mag.Width, q);
        var g = q.AsSpan(0, nc).ToArray();
        for (int k = 1; k < _mag.Count; k++) TensorPrimitives.Max(g, q.AsSpan(k * nc, nc), g);
        Normalize(g, 1e-8f);

        // Guide term: the guide's attention to n in head h, weighted by head h's share of n's output norm.
        var cls = new float[nc];
        int guide = tokens.Guide >= 0 ? tokens.Guide : 0;
        var outputs = attention.HeadOutputs;
        Span<float> norms = stackalloc float[heads];
        for (int c = 0; c < nc; c++)
        {
            int j = candidates[c];
            for (int h = 0; h < heads; h++) norms[h] = TensorPrimitives.Norm(outputs.Slice(j * d + h * dh, dh));
            float total = TensorPrimitives.Sum(norms);
            if (total > 0)
                for (int h = 0; h < heads; h++) cls[c] += p[(h * n + guide) * n + j] * norms[h] / total;
        }

        var importance = new float[nc];
        if (tokens.Modality != Modality.Multimodal)
        {
            for (int c = 0; c < nc; c++) importance[c] = (a[c] + g[c] + cls[c]) / 3;
            return importance;
        }

        // Cross-modal guidance: X_n = Σ over text queries and heads of P[h, i, n], normalised to sum 1.
        var text = new float[nc];
        for (int i = 0; i < n; i++)
            if (tokens.Modalities[i] == Modality.Text)
                for (int h = 0; h < heads; h++)
                    for (int c = 0; c < nc; c++) text[c] += p[(h * n + i) * n + candidates[c]];
        Normalize(text, 1e-8f);
        for (int c = 0; c < nc; c++) importance[c] = (a[c] + g[c] + cls[c] + text[c]) / 4;
        return importance;
    }

    /// <summary>θ = min over alignment tokens m of Σ_n softmax_n(Q[m, n] / T) · I_n (Q transposed, [M, nc]).</summary>
    double Threshold(float[] q, int nc, int m, float[] importance)
    {
        double theta = double.PositiveInfinity;
        var weights = new float[nc];
        for (int k = 0; k < m; k++)
        {
            TensorPrimitives.Multiply(q.AsSpan(k * nc, nc), (float)(1 / Temperature), weights);
            TensorPrimitives.SoftMax(weights, weights);
            theta = Math.Min(theta, TensorPrimitives.Dot(weights, importance));
        }
        return theta;
    }

    static void Normalize(float[] v, float epsilon)
    {
        float sum = TensorPrimitives.Sum(v) + epsilon;
        if (sum != 0) TensorPrimitives.Multiply(v, 1 / sum, v);
    }
}
