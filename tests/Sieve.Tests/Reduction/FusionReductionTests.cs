using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Tests.Reduction;

/// <summary>PuMer and the cross-modal variants of ToMe, CrossGET and MADTP on a fusion stream (ALGORITHMS.md §2b, §3, §4).</summary>
public class FusionReductionTests
{
    static readonly FusionStream Small = new(layers: 6, width: 32, heads: 4);

    [Fact]
    public void PumerPrunesAndMergesOnlyInItsLayersWithRoundHalfToEven()
    {
        var reducer = ModelReduction.Parse("pumer:layers=1/3/4").Bind(Small.Info)!;
        var (_, steps, final) = Small.Run(texts: 40, images: 145, inputSeed: 1, reducer);
        using (final)
        {
            // The released setting's arithmetic: V = 145 → prune round(14.5) = 14, merge round(43.5) = 44 → 87; T = 40 → 32.
            Assert.Equal([(145, 40), (87, 32), (87, 32), (52, 26), (31, 21), (31, 21)], steps.Select(ModalityRecorder.Count));
            // Text class token first, image class token first among the images.
            Assert.Equal(Modality.Text, final.Modalities[0]);
            Assert.True(final.Protected[0] && final.Protected[21]);
            Assert.Equal(Modality.Image, final.Modalities[21]);
        }
    }

    [Fact]
    public void PumerNeverMixesModalitiesAndDropsWhatItPrunes()
    {
        var reducer = ModelReduction.Parse("pumer:layers=0/2,p=0.3,mi=0.3,mt=0.3").Bind(Small.Info)!;
        var (_, _, final) = Small.Run(texts: 12, images: 50, inputSeed: 2, reducer);
        using (final)
        {
            // Every original token is either dropped (−1) or sits in a current token of its own modality.
            for (int o = 0; o < 62; o++)
            {
                int now = final.Source[o];
                if (now >= 0) Assert.Equal(o < 12 ? Modality.Text : Modality.Image, final.Modalities[now]);
            }
            Assert.Contains(-1, final.Source.ToArray());
            Assert.DoesNotContain(Enumerable.Range(0, 12), o => final.Source[o] < 0); // text is never pruned
            // Sizes count the tokens still represented: pruning (without fusion) lowers the total.
            Assert.Equal(final.Source.ToArray().Count(s => s >= 0), final.Sizes.ToArray().Sum(), 3);
        }
    }

    [Fact]
    public void PumerWithZeroRatiosIsTheDenseStreamBitForBit()
    {
        var dense = Small.Run(20, 65, 3, reducer: null);
        var zero = Small.Run(20, 65, 3, ModelReduction.Parse("pumer:layers=1/3/4,p=0,mi=0,mt=0").Bind(Small.Info));
        using (dense.Final)
        using (zero.Final)
        {
            Assert.Equal(dense.Pooled, zero.Pooled);
            Assert.Equal(85, zero.Final.Count);
        }
    }

    [Theory]
    [InlineData("tome:r=8")]
    [InlineData("crossget:r=8")]
    [InlineData("madtp:t=0.05,m=8")]
    public void MatchersAndPrunersKeepModalitiesApartAndInvariantsHold(string spec)
    {
        var probe = new InvariantProbe(ModelReduction.Parse(spec).Bind(Small.Info)!);
        var (_, _, final) = Small.Run(texts: 16, images: 65, inputSeed: 4, probe);
        using (final)
        {
            Assert.True(probe.Reduced > 0, $"{spec} reduced nothing");
            for (int o = 0; o < 81; o++)
                Assert.Equal(o < 16 ? Modality.Text : Modality.Image, final.Modalities[final.Source[o]]);
            if (spec.StartsWith("madtp")) Assert.Equal(16, final.Modalities.ToArray().Count(m => m == Modality.Text)); // MADTP prunes image tokens only
        }
    }

    [Fact]
    public void CrossGetGuidesEachModalityByTheOtherClassTokenHandComputed()
    {
        // [text CLS, t1, t2, image CLS, i4…i7], one head, width 3. Image keys as in HandCases' GraphMetric:
        // S45 = 0.96, S67 = 0.8, S56 = 0.28, S57 = 0.224; text keys (0,0,1), (0,0.8,0.6): S12 = 0.6.
        // Cross-modal pairs (e.g. S17 = 0.6) must never count. The text CLS query (1,0,0) guides the image
        // tokens: I = [1, 0.96, 0, 0] for i4…i7; the image CLS query (0,0,1) guides the text: I1 = 1, I2 = 0.6.
        // σ4 = 0.96 − 1, σ5 = 0.28 − 0.96, σ6 = 0.8, σ1 = 0.6 − 1 = −0.4: sources in order 6, 4, 1.
        // (Guided by the image CLS instead, σ4 would stay 0.96 and token 4 would merge first.)
        var tower = new TowerInfo("fusion", Modality.Multimodal, 1, 3, 1);
        Modality t = Modality.Text, i = Modality.Image;
        float[][] keys = [[0, 0, 0], [0, 0, 1], [0, 0.8f, 0.6f], [0, 0, 0], [1, 0, 0], [0.96f, 0.28f, 0], [0, 1, 0], [0, 0.8f, 0.6f]];
        using var capture = new AttentionCapture(8, 3, 1, false, false);
        capture.Qkv.Clear();
        for (int k = 0; k < 8; k++) keys[k].CopyTo(capture.Qkv.Slice(k * 9 + 3, 3));
        capture.Qkv[0] = 1;          // text CLS query (1, 0, 0)
        capture.Qkv[3 * 9 + 2] = 1;  // image CLS query (0, 0, 1)

        TokenSet Tokens()
        {
            var tokens = new TokenSet([t, t, t, i, i, i, i, i], 1, 8);
            tokens.Features.CopyFrom([0, 1, 2, 3, 4, 5, 6, 7]);
            tokens.Protect(0);
            tokens.Protect(3);
            tokens.Guide = 0;
            return tokens;
        }

        using var one = Tokens();
        new CrossGetReducer(tower, MergeSchedule.Constant(1)).AfterAttention(0, one, capture);
        Assert.Equal([0f, 1, 2, 3, 4, 5, 6.5f], one.Features.ToArray());

        using var three = Tokens();
        new CrossGetReducer(tower, MergeSchedule.Constant(3)).AfterAttention(0, three, capture);
        // 1 → 2 with weights e^1 : e^0.6, 4 → 5 with e^1 : e^0.96, 6 → 7 equally.
        Assert.Equal([0f, 1.4013123f, 3, 4.4900013f, 6.5f], three.Features.ToArray(), (x, y) => Math.Abs(x - y) < 1e-5);
        Assert.Equal([t, t, i, i, i], three.Modalities.ToArray());
    }

    [Fact]
    public void MadtpTextAttentionDecidesWhichImageTokensArePrunedHandComputed()
    {
        // [text CLS 0, t1, t2, image CLS 3, i4…i7], one head, width 2, one alignment token S = (1, 0); token k is (1, k).
        // Every candidate scores Q = 1, so G = 1/4 each and θ = mean(I) for any T. Candidate columns of P[query, key]:
        //   A (image queries 4…7, column sums): i4 0.4, i5 0.6, i6 1.2, i7 0.1 → A = [4, 6, 12, 1] / 23
        //   C (text CLS = guide, row 0, head-output norms equal): [0.3, 0, 0, 0.1]
        //   X (all text queries 0, 1, 2; the text CLS is a text token): [0.4, 0.2, 0, 1.4] / 2 = [0.2, 0.1, 0, 0.7]
        // I = (A + G + C + X) / 4 = [0.230978, 0.152717, 0.192935, 0.273370], θ = 3.4 / 16 = 0.2125:
        // keep i4 and i7, fuse i5 and i6 by I: y = (14.05·5 + 17.75·6) / 31.8 = 5.558176 (I5 : I6 = 14.05 : 17.75).
        // The text term decides: without it I = (A + G + C) / 3 = [0.241, 0.170, 0.257, 0.131] keeps i4, i6;
        // read transposed (image → text: [0.5, 0.4, 0.4, 0.4] / 1.7) or over every query it keeps i4, i6 too;
        // without the text CLS (rows 1, 2: [0.1, 0.2, 0, 1.3] / 1.6) only i7 survives; the text CLS alone keeps only i4.
        var tower = new TowerInfo("fusion", Modality.Multimodal, 1, 2, 1);
        Modality t = Modality.Text, i = Modality.Image;
        using var tokens = new TokenSet([t, t, t, i, i, i, i, i], 2, 8);
        for (int k = 0; k < 8; k++) tokens.Row(k).CopyFrom([1f, k]);
        tokens.Protect(0);
        tokens.Protect(3);
        tokens.Guide = 0;
        using var capture = new AttentionCapture(8, 2, 1, true, true);
        capture.Probabilities.CopyFrom([
            0.3f, 0.1f, 0.1f, 0.1f, 0.3f, 0.0f, 0.0f, 0.1f,
            0.1f, 0.1f, 0.0f, 0.0f, 0.1f, 0.2f, 0.0f, 0.5f,
            0.1f, 0.0f, 0.1f, 0.0f, 0.0f, 0.0f, 0.0f, 0.8f,
            0.1f, 0.1f, 0.1f, 0.7f, 0.0f, 0.0f, 0.0f, 0.0f,
            0.2f, 0.2f, 0.1f, 0.0f, 0.0f, 0.1f, 0.3f, 0.1f,
            0.2f, 0.1f, 0.1f, 0.0f, 0.1f, 0.2f, 0.3f, 0.0f,
            0.2f, 0.1f, 0.1f, 0.0f, 0.0f, 0.1f, 0.5f, 0.0f,
            0.2f, 0.1f, 0.1f, 0.0f, 0.3f, 0.2f, 0.1f, 0.0f]);
        capture.HeadOutputs.Fill(1);

        new MadtpReducer(tower, 1, new MagTokens([1f, 0f], 1, 2)).AfterAttention(0, tokens, capture);
        Assert.Equal([0, 1, 2, 3, 4, 6, 6, 5], tokens.Source.ToArray());
        Assert.Equal([t, t, t, i, i, i, i], tokens.Modalities.ToArray());
        // Text tokens and the kept image tokens are untouched; the fused token follows the survivors.
        Assert.Equal([1f, 0, 1, 1, 1, 2, 1, 3, 1, 4, 1, 7], tokens.Features[..12].ToArray());
        Assert.Equal(1, tokens.Features[12], tolerance: 1e-6);
        Assert.Equal(5.5581761006289305, tokens.Features[13], tolerance: 1e-5);
        Assert.Equal([1f, 1, 1, 1, 1, 1, 2], tokens.Sizes.ToArray());
    }

    [Fact]
    public void PumerIsRefusedOnASingleModalityTowerAndWithBadSettings()
    {
        var vision = new TowerInfo("vision", Modality.Image, 12, 64, 4);
        var e = Assert.Throws<ArgumentException>(() => ModelReduction.Parse("pumer").Bind(vision));
        Assert.Contains("fusion model", e.Message);
        Assert.Contains("layer 12", Assert.Throws<ArgumentException>(() => ModelReduction.Parse("pumer:layers=2/12").Bind(Small.Info with { Layers = 12 })).Message);
        Assert.Contains("p must be in [0, 1)", Assert.Throws<ArgumentException>(() => ReducerSpec.Parse("pumer:p=1.5")).Message);
        Assert.Contains("ascending", Assert.Throws<ArgumentException>(() => ReducerSpec.Parse("pumer:layers=5/2")).Message);
        Assert.Equal("pumer", ReducerSpec.Parse("pumer:layers=2/5/8,p=0.1").ToString());
        Assert.Equal("pumer:layers=1/3,p=0.2,mi=0.3,mt=0", ReducerSpec.Parse("pumer:layers=1/3,p=0.2,mt=0").ToString());
        Assert.Contains("one spec", Assert.Throws<ArgumentException>(() => ModelReduction.Parse("vision=tome:r=2;text=none").Bind(Small.Info)).Message);
    }
}
