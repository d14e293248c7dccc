using Sieve.Nn;

namespace Sieve.Reduction;

/// <summary>
/// VisionZip-style selection of a LLaVA image's visual tokens before the projector (text form
/// <c>visionzip:dominant=54,contextual=10</c>): the <see cref="Dominant"/> patch tokens the class token attends to most
/// in the layer the features come from (mean over heads) are kept as they are, in image order; the rest are merged
/// into <see cref="Contextual"/> tokens — targets spaced evenly among them, each other token joining the target whose
/// key (mean over heads) is most similar in cosine — as size-weighted means carrying their sizes, so the decoder's
/// attention weighs each as the tokens it stands for. (VisionZip's code adds the mean of the joined tokens to the target
/// instead.) Dominant tokens come first, then the contextual ones. After a tower reducer (ToMe, CrossGET) the tokens it
/// left are selected from, each weighing as its size: a dominant token keeps its size, a contextual one is the
/// size-weighted mean of its members and carries their summed size.
/// </summary>
/// <param name="Dominant">Tokens kept by the class token's attention (≥ 0).</param>
/// <param name="Contextual">Tokens the rest are merged into (≥ 0).</param>
public sealed record VisionZipSpec(int Dominant = 54, int Contextual = 10)
{
    /// <summary>Visual tokens the selection leaves from <paramref name="patches"/>.</summary>
    public int TokensFrom(int patches) => Math.Min(patches, Dominant + Math.Min(Contextual, Math.Max(0, patches - Dominant)));

    /// <summary>
    /// The selected tokens of <paramref name="features"/> [n, D] (the patch tokens, with their sizes once a tower reducer
    /// merged them), given the class token's attention to each (<paramref name="classAttention"/>) and each token's key
    /// (<paramref name="keys"/> [n, K]).
    /// </summary>
    internal TokenContext Select(TokenContext features, ReadOnlySpan<float> classAttention, ReadOnlySpan<float> keys, int keyWidth)
    {
        int n = features.Count, d = features.Width;
        if (Dominant >= n) return features;
        var order = Enumerable.Range(0, n).ToArray();
        var attention = classAttention[..n].ToArray();
        // Most attended first; equal scores keep image order.
        Array.Sort(order, (a, b) => attention[b] != attention[a] ? attention[b].CompareTo(attention[a]) : a.CompareTo(b));
        var dominant = order[..Dominant].Order().ToArray();
        var rest = order[Dominant..].Order().ToArray();
        int contextual = Math.Min(Contextual, rest.Length);
        int step = contextual == 0 ? 1 : Math.Max(1, rest.Length / contextual);
        var targets = Enumerable.Range(0, contextual).Select(i => rest[i * step]).ToArray();
        var count = dominant.Length + contextual;
        var output = new float[count * d];
        var logSizes = new float[count];
        var inputLogSizes = features.LogSizes;
        double Size(int token) => inputLogSizes == null ? 1 : Math.Exp(inputLogSizes[token]);
        for (int i = 0; i < dominant.Length; i++)
        {
            features.Features.AsSpan(dominant[i] * d, d).CopyTo(output.AsSpan(i * d, d));
            if (inputLogSizes != null) logSizes[i] = inputLogSizes[dominant[i]];
        }
        if (contextual > 0)
        {
            var sums = new double[contextual * d];
            var sizes = new double[contextual];
            foreach (int token in rest)
            {
                int best = Array.IndexOf(targets, token);
                if (best < 0)
                {
                    double bestSimilarity = double.NegativeInfinity;
                    for (int t = 0; t < contextual; t++)
                    {
                        double s = Cosine(keys.Slice(token * keyWidth, keyWidth), keys.Slice(targets[t] * keyWidth, keyWidth));
                        if (s > bestSimilarity) (best, bestSimilarity) = (t, s);
                    }
                }
                double size = Size(token);
                sizes[best] += size;
                for (int c = 0; c < d; c++) sums[best * d + c] += size * features.Features[token * d + c];
            }
            for (int t = 0; t < contextual; t++)
            {
                int row = dominant.Length + t;
                for (int c = 0; c < d; c++) output[row * d + c] = (float)(sums[t * d + c] / sizes[t]);
                logSizes[row] = MathF.Log((float)sizes[t]);
            }
        }
        return TokenContext.Of(output, count, d, logSizes);
    }

    static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) (dot, na, nb) = (dot + a[i] * b[i], na + a[i] * a[i], nb + b[i] * b[i]);
        return dot / Math.Sqrt(Math.Max(na * nb, 1e-30));
    }

    /// <inheritdoc />
    public override string ToString() => $"visionzip:dominant={Dominant},contextual={Contextual}";
}
