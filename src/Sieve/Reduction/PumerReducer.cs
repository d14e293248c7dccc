using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Reduction;

/// <summary>
/// PuMer (ALGORITHMS.md §4), for fusion models only: in its chosen blocks, image tokens that the text
/// attends to least are pruned, then ToMe's bipartite matching merges within the kept image tokens and,
/// separately, within the text tokens. Counts are shares of the image tokens V (class token included)
/// and text tokens T at that block, rounded half to even: ViLT-B/32 at 384×384 with 40 text tokens
/// goes 145/40 → 87/32 → 52/26 → 31/21. Sizes are kept, so proportional attention applies after.
/// </summary>
internal sealed class PumerReducer : TokenReducer
{
    readonly HashSet<int> _layers;

    /// <param name="tower">A fusion tower (<see cref="Modality.Multimodal"/>).</param>
    /// <param name="options">Layers and ratios.</param>
    /// <param name="proportionalAttention">Add log(size) to key logits once sizes differ.</param>
    public PumerReducer(TowerInfo tower, PumerOptions options, bool proportionalAttention = true) : base(tower, proportionalAttention)
    {
        if (tower.Modality != Modality.Multimodal)
            throw new ArgumentException($"PuMer prunes image tokens by the text's attention, so it needs a fusion model; the {tower.Name} tower holds only {tower.Modality.ToString().ToLowerInvariant()} tokens");
        if (options.Layers[^1] >= tower.Layers)
            throw new ArgumentException($"PuMer layer {options.Layers[^1]} does not exist: the {tower.Name} tower has blocks 0…{tower.Layers - 1}");
        Options = options;
        _layers = [.. options.Layers];
    }

    /// <summary>Layers and ratios.</summary>
    public PumerOptions Options { get; }

    /// <inheritdoc />
    public override bool NeedsProbabilities(int layer) => Options.PruneRatio > 0 && _layers.Contains(layer);

    /// <inheritdoc />
    public override long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention)
    {
        if (!_layers.Contains(layer)) return 0;
        int n = tokens.Count, dh = tokens.Width / attention.Heads;
        var modality = tokens.Modalities;
        int images = 0, texts = 0;
        foreach (var m in modality)
            if (m == Modality.Image) images++;
            else texts++;
        var group = tokens.MergeGroups();
        var imageCandidates = Ranking.Candidates(group).Where(i => group[i] == (int)Modality.Image).ToArray();

        var target = Enumerable.Range(0, n).ToArray();
        // Each modality's slice in sequence order; pruning reorders the kept image tokens by score, as torch.topk does (§4).
        var slices = tokens.ModalitySlices();
        // Without text queries there is nothing to rank image tokens by.
        int prune = texts == 0 ? 0 : Math.Min(Round(Options.PruneRatio * images), imageCandidates.Length);
        bool changed = prune > 0;
        long macs = 0;
        if (prune > 0)
        {
            var ranked = Ranking.Descending(imageCandidates, TextAttention(tokens, attention, imageCandidates));
            foreach (int i in ranked[^prune..]) target[i] = MergePlan.Dropped;
            int image = Array.FindIndex(slices, s => tokens.Modalities[s[0]] == Modality.Image);
            slices[image] = slices[image].Where(i => group[i] < 0).Concat(ranked[..^prune]).ToArray();
            macs += (long)attention.Heads * texts * imageCandidates.Length;
        }

        using var metric = new Scratch(n * dh);
        KeyMetric.NormalizedKeys(attention, headMean: true, metric.Span);
        var order = new List<int>(n);
        foreach (var slice in slices)
        {
            var kind = tokens.Modalities[slice[0]];
            double share = kind == Modality.Image ? Options.ImageMergeRatio : Options.TextMergeRatio;
            int members = slice.Count(i => !tokens.Protected[i]);
            int r = Math.Min(Round(share * (kind == Modality.Image ? images : texts)), members / 2);
            var merge = BipartiteMatcher.Match(metric.Span, dh, [slice], tokens.Protected, r);
            for (int i = 0; i < n; i++)
                if (merge.Target[i] != i) target[i] = merge.Target[i];
            order.AddRange(merge.Order);
            if (r == 0) continue;
            changed = true;
            macs += (long)((members + 1) / 2) * (members / 2) * dh;
        }
        if (!changed) return macs;
        tokens.Apply(MergePlan.FromTargets(target, tokens.Sizes, order.ToArray()));
        return macs + (long)n * tokens.Width;
    }

    /// <summary>s_j = mean over text queries of the head-mean attention to image token j.</summary>
    static float[] TextAttention(TokenSet tokens, AttentionCapture attention, int[] imageCandidates)
    {
        int n = tokens.Count, heads = attention.Heads;
        var p = attention.Probabilities;
        var received = new float[n];
        var texts = Enumerable.Range(0, n).Where(i => tokens.Modalities[i] == Modality.Text).ToArray();
        foreach (int j in imageCandidates)
        {
            double sum = 0;
            for (int h = 0; h < heads; h++)
                foreach (int i in texts) sum += p[(h * n + i) * n + j];
            received[j] = (float)(sum / (heads * texts.Length));
        }
        return received;
    }

    static int Round(double x) => (int)Math.Round(x, MidpointRounding.ToEven);
}
