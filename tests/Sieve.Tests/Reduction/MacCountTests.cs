using Sieve.Nn;
using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;

namespace Sieve.Tests.Reduction;

/// <summary>
/// Multiply-add counts pinned to formulas written out here, not to the library's own <c>MacsFor</c> helpers —
/// the README's GMACs and speed-up ratios rest on them. Convention (fvcore's "FLOPs"): a Linear over n rows
/// costs n · in · out; attention adds Q·Kᵀ and A·V, 2 · n² · D (causal text attention is counted in full, as
/// fvcore does); norms, softmax, GELU, biases and position embeddings are not counted. The patch embedding
/// is a Linear over the patches (not the class token); the pooled head (projection, classifier, pooler)
/// runs on one row. A reduced block runs its attention at the tokens it was given and its MLP at the tokens
/// its reducer left.
/// </summary>
public class MacCountTests
{
    /// <summary>qkv (n·D·3D) + output projection (n·D·D) + Q·Kᵀ and A·V (2·n²·D).</summary>
    internal static long Attention(long n, long d) => n * d * 3 * d + n * d * d + 2 * n * n * d;

    /// <summary>fc1 (n·D·H) + fc2 (n·H·D).</summary>
    internal static long Mlp(long n, long d, long hidden) => 2 * n * d * hidden;

    /// <summary>
    /// ToMe (ALGORITHMS.md §1): cosines between the two halves of the c candidates on head-mean keys of
    /// width D/heads, ⌈c/2⌉ · ⌊c/2⌋ · D/heads, then the weighted average, n · D.
    /// </summary>
    internal static long ToMeOverhead(long n, long candidates, long d, long heads) =>
        (candidates + 1) / 2 * (candidates / 2) * (d / heads) + n * d;

    /// <summary>CrossGET (§2): the full similarity table on D-wide keys, n² · D, guide importance and the weighted average, 2 · n · D.</summary>
    internal static long CrossGetOverhead(long n, long d) => n * n * d + 2 * n * d;

    /// <summary>
    /// A merging tower with one protected class token and a constant r (capped at ⌊candidates / 2⌋):
    /// the token counts each block sees, and the blocks' MACs with the reducer's overhead.
    /// </summary>
    internal static (int[] Attention, int[] Mlp, long Macs) Merged(int tokens, int layers, int d, int hidden, int r, Func<long, long, long> overhead)
    {
        var attention = new int[layers];
        var mlp = new int[layers];
        long macs = 0;
        for (int l = 0, n = tokens; l < layers; l++)
        {
            int merged = Math.Min(r, (n - 1) / 2);
            attention[l] = n;
            mlp[l] = n - merged;
            macs += Attention(n, d) + Mlp(n - merged, d, hidden) + overhead(n, n - 1);
            n -= merged;
        }
        return (attention, mlp, macs);
    }

    /// <summary>
    /// PuMer (ALGORITHMS.md §4) on ViLT-B/32 (768 wide, 12 heads of 64, MLP 3072) from V image and T text tokens, each
    /// with one protected class token, in blocks 2, 5 and 8: prune round(0.1·V) image tokens ranked by the text's
    /// attention (heads · T · (V − 1) reads), then bipartite merges of round(0.3·V) image and round(0.2·T) text
    /// tokens within the remaining candidates (⌈m/2⌉ · ⌊m/2⌋ · 64 cosines each), then the weighted average, n · 768.
    /// Rounding is half to even, as the released code's Python round.
    /// </summary>
    internal static long PumerBlocks(int images, int texts)
    {
        static long Round(double x) => (long)Math.Round(x, MidpointRounding.ToEven);
        static long Cosines(long m) => (m + 1) / 2 * (m / 2) * 64;
        long macs = 0;
        for (int l = 0; l < 12; l++)
        {
            long n = images + texts, overhead = 0;
            if (l is 2 or 5 or 8)
            {
                long prune = Round(0.1 * images), imageMembers = images - 1 - prune, textMembers = texts - 1;
                long imageMerged = Math.Min(Round(0.3 * images), imageMembers / 2), textMerged = Math.Min(Round(0.2 * texts), textMembers / 2);
                overhead = 12L * texts * (images - 1) + Cosines(imageMembers) + Cosines(textMembers) + n * 768;
                images -= (int)(prune + imageMerged);
                texts -= (int)textMerged;
            }
            macs += Attention(n, 768) + Mlp(images + texts, 768, 3072) + overhead;
        }
        return macs;
    }

    [Fact]
    public void ClipB16VisionIs17_56GAndTextAt77TokensIs2_98G()
    {
        var model = ReductionModels.VitB16;
        // Vision: 224/16 = 14 × 14 = 196 patches of 3·16·16 = 768 values → 768 wide; 197 tokens; 12 blocks, MLP 3072; projection 768 → 512.
        long patches = 196L * 768 * 768;                                       //    115 605 504
        long block = 197L * 768 * 2304 + 197L * 768 * 768 + 2L * 197 * 197 * 768 + 2L * 197 * 768 * 3072;
        Assert.Equal(1_453_954_560L, block);                                   // qkv 348.6 M + proj 116.2 M + attention 59.6 M + MLP 929.6 M
        long vision = patches + 12 * block + 768L * 512;
        Assert.Equal(17_563_453_440L, vision);
        Assert.Equal(vision, model.Vision.Macs);
        Assert.Equal(17.56, Math.Round(model.Vision.Macs / 1e9, 2));             // the README's bench table

        // Text: 77 tokens, 512 wide, 12 blocks, MLP 2048; projection 512 → 512. The token embedding is a lookup.
        long text = 12 * (Attention(77, 512) + Mlp(77, 512, 2048)) + 512L * 512;
        Assert.Equal(2_979_770_368L, text);
        Assert.Equal(text, model.Text.MacsFor(77));
        Assert.Equal(2.98, Math.Round(text / 1e9, 2));
    }

    [Fact]
    public void ViltB32VqaWith40TokensAnd384ImageIs16_69G()
    {
        var vilt = ViltModel.CreateRandom(ViltConfig.B32, seed: 4);
        // 384/32 = 12 × 12 = 144 patches of 3·32·32 = 3072 values → 768; 40 text + 1 image class + 144 = 185 tokens.
        long patches = 144L * 3072 * 768;                                      //    339 738 624
        long blocks = 12 * (Attention(185, 768) + Mlp(185, 768, 3072));         // 16 343 746 560
        long pooler = 768L * 768;
        long vqaHead = 768L * 1536 + 1536L * 3129;                              // classifier.0 and classifier.3 over 3 129 answers
        Assert.Equal(16_690_060_800L, patches + blocks + pooler + vqaHead);
        Assert.Equal(patches + blocks + pooler + vqaHead, vilt.AnswerMacs(40, 12, 12));
        Assert.Equal(16.69, Math.Round(vilt.AnswerMacs(40, 12, 12) / 1e9, 2)); // the README's ViLT bench table
    }

    [Fact]
    public void TracedForwardsOfASmallClipAreTheFormulaAtTheDocumentedTokenCounts()
    {
        // Vision 64 wide, 3 blocks, 4 heads, MLP 128; 64 px / 8 = 8 × 8 patches + class token = 65 tokens; projection 64 → 16.
        var model = ReductionModels.Small;
        var pixels = ReductionModels.Pixels(model, 7);
        long outside = 64L * (3 * 8 * 8) * 64 + 64L * 16;

        var dense = new ForwardTrace();
        model.Vision.Encode(pixels, dense);
        Assert.Equal(outside + 3 * (Attention(65, 64) + Mlp(65, 64, 128)), dense.Macs);

        // ToMe r = 8: 65 → 57 → 49 → 41 tokens.
        var tome = new ForwardTrace();
        model.Vision.Encode(pixels, BlockHook.Combine(ModelReduction.Parse("tome:r=8").Bind(model.Vision.Info), tome));
        var expected = Merged(65, 3, 64, 128, 8, (n, c) => ToMeOverhead(n, c, 64, 4));
        Assert.Equal([65, 57, 49], expected.Attention);
        Assert.Equal(expected.Attention, tome.Layers.Select(l => l.AttentionTokens));
        Assert.Equal(expected.Mlp, tome.Layers.Select(l => l.MlpTokens));
        Assert.Equal(outside + expected.Macs, tome.Macs);
        Assert.Equal([ToMeOverhead(65, 64, 64, 4), ToMeOverhead(57, 56, 64, 4), ToMeOverhead(49, 48, 64, 4)], tome.Layers.Select(l => l.ReducerMacs));

        var crossGet = new ForwardTrace();
        model.Vision.Encode(pixels, BlockHook.Combine(ModelReduction.Parse("crossget:r=8").Bind(model.Vision.Info), crossGet));
        Assert.Equal(outside + Merged(65, 3, 64, 128, 8, (n, _) => CrossGetOverhead(n, 64)).Macs, crossGet.Macs);

        // Text 32 wide, 3 blocks, MLP 64, 10 tokens (the embedding is a lookup); projection 32 → 16.
        var text = new ForwardTrace();
        model.Text.Encode(ReductionModels.Text(model, 10, 1), text);
        Assert.Equal(3 * (Attention(10, 32) + Mlp(10, 32, 64)) + 32L * 16, text.Macs);
    }

    [SharedDataFact]
    public void RealVitTinyIs1_254GDenseAndTheReadmeCountsReduced_SharedData()
    {
        var model = VitModel.Load(SharedData.Path("models", "vit-tiny-patch16-224"));
        var pixels = model.Preprocess(ImageDecoder.Decode(SharedData.Path("data", "imagenet-sample-dev", "n01440764_tench.JPEG")));
        // 196 patches of 768 values → 192 wide; 197 tokens, 12 blocks, 3 heads, MLP 768; head 192 → 1000.
        long outside = 196L * 768 * 192 + 192L * 1000;
        long dense = outside + 12 * (Attention(197, 192) + Mlp(197, 192, 768));
        Assert.Equal(1_253_683_200L, dense);
        Assert.Equal(dense, model.Macs);
        var trace = new ForwardTrace();
        model.Logits(pixels, trace);
        Assert.Equal(dense, trace.Macs);

        // The README's sweep table: 1.254 dense, 0.735 for tome:r=13, 0.657 for crossget:r=16.
        Assert.Equal(1.254, Math.Round(dense / 1e9, 3));
        var tome = new ForwardTrace();
        model.Logits(pixels, BlockHook.Combine(ModelReduction.Parse("tome:r=13").Bind(model.Info), tome));
        Assert.Equal(outside + Merged(197, 12, 192, 768, 13, (n, c) => ToMeOverhead(n, c, 192, 3)).Macs, tome.Macs);
        Assert.Equal(0.735, Math.Round(tome.Macs / 1e9, 3));
        var crossGet = new ForwardTrace();
        model.Logits(pixels, BlockHook.Combine(ModelReduction.Parse("crossget:r=16").Bind(model.Info), crossGet));
        Assert.Equal(outside + Merged(197, 12, 192, 768, 16, (n, _) => CrossGetOverhead(n, 192)).Macs, crossGet.Macs);
        Assert.Equal(0.657, Math.Round(crossGet.Macs / 1e9, 3));
    }
}
