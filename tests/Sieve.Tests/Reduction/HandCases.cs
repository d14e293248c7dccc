using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Tests.Reduction;

/// <summary>Small cases for each matcher and merge rule, with expected values worked out by hand.</summary>
public class HandCases
{
    // Five 2-D unit metrics; token 0 is protected. cos(1,2) = 0.8, cos(1,4) = 0.6, cos(3,2) = 0.6, cos(3,4) = 0.8.
    static readonly float[] BipartiteMetric = [1, 0, 1, 0, 0.8f, 0.6f, 0, 1, 0.6f, 0.8f];
    static readonly int[] ClsProtected = [-1, 0, 0, 0, 0];
    static readonly bool[] FirstProtected = [true, false, false, false, false];

    [Fact]
    public void BipartiteSplitsByPositionParityAndReordersAsTheReference()
    {
        // Positions count from the class token (§1 step 2): A = {0, 2, 4} (0 protected), B = {1, 3}.
        // a = 2: cos(2,1) = 0.8 > cos(2,3) = 0.6 → 1; a = 4: cos(4,3) = 0.8 → 3. Both score 0.8: the tie goes to token 2.
        int[][] slices = [[0, 1, 2, 3, 4]];
        var one = BipartiteMatcher.Match(BipartiteMetric, 2, slices, FirstProtected, 1);
        Assert.Equal([0, 1, 1, 3, 4], one.Target);
        Assert.Equal([0, 4, 1, 3], one.Order); // torch.cat([unm, dst]): unmerged A (0, 4), then B (1, 3)
        var two = BipartiteMatcher.Match(BipartiteMetric, 2, slices, FirstProtected, 2);
        Assert.Equal([0, 1, 1, 3, 3], two.Target);
        Assert.Equal([0, 1, 3], two.Order);
        var none = BipartiteMatcher.Match(BipartiteMetric, 2, slices, FirstProtected, 0);
        Assert.Equal([0, 1, 2, 3, 4], none.Target);
        Assert.Equal([0, 1, 2, 3, 4], none.Order);
        Assert.Throws<ArgumentOutOfRangeException>(() => BipartiteMatcher.Match(BipartiteMetric, 2, slices, FirstProtected, 3));
    }

    // Unit keys: cos(1,2) = 0.96, cos(3,4) = 0.8, cos(2,3) = 0.28, cos(2,4) = 0.224, cos(1,3) = cos(1,4) = 0.
    static readonly float[] GraphMetric = [0, 0, 1, 1, 0, 0, 0.96f, 0.28f, 0, 0, 1, 0, 0, 0.8f, 0.6f];

    [Fact]
    public void CompleteGraphRankMaskKeepsOnlyTheHigherEndOfAPair()
    {
        // m = [0.96, 0.96, 0.8, 0.8] → rank 1, 2, 3, 4. Rank-masked best: m̃1 = 0.96, m̃2 = max(S23, S24) = 0.28,
        // m̃3 = S34 = 0.8, m̃4 = −∞. Token 2 is not a source although its best cosine is 0.96.
        Assert.Equal([0, 2, 2, 3, 4], CompleteGraphMatcher.Match(GraphMetric, 3, ClsProtected, default, 1));
        Assert.Equal([0, 2, 2, 4, 4], CompleteGraphMatcher.Match(GraphMetric, 3, ClsProtected, default, 2));
    }

    [Fact]
    public void CompleteGraphImportanceProtectsAttendedTokens()
    {
        // σ = m̃ − I: token 1 drops to 0.96 − 0.5 = 0.46 < σ3 = 0.8, so token 3 merges first (into 4).
        float[] importance = [0, 0.5f, 0, 0, 0];
        Assert.Equal([0, 1, 2, 4, 4], CompleteGraphMatcher.Match(GraphMetric, 3, ClsProtected, importance, 1));
    }

    [Fact]
    public void SizeWeightedMergeAveragesBySizeAndAddsSizes()
    {
        using var tokens = new TokenSet(Modality.Image, 3, 1, 3);
        tokens.Features.CopyFrom([7f, 2f, 6f]);
        tokens.Protect(0);
        tokens.Apply(MergePlan.FromTargets([0, 2, 2], [1, 1, 3]));
        // x = (1·2 + 3·6) / 4 = 5; size 1 + 1 = 2 (sizes were all 1; the weights came from the caller).
        Assert.Equal([7f, 5f], tokens.Features.ToArray());
        Assert.Equal([1f, 2f], tokens.Sizes.ToArray());
        Assert.Equal([0, 1, 1], tokens.Source.ToArray());
        Assert.True(tokens.SizesDiffer);
    }

    [Fact]
    public void CrossGetReducerMatchesHandComputedImportanceAndEnsemble()
    {
        // One head, width 3: keys as in GraphMetric, the class token's query (1, 0, 0) is the guide.
        // I = cos(q0, k) = [0, 1, 0.96, 0, 0]; σ1 = 0.96 − 1 = −0.04, σ2 = 0.28 − 0.96 = −0.68, σ3 = 0.8.
        var tower = new TowerInfo("vision", Modality.Image, 1, 3, 1);
        using var tokens = Tokens(tower, [0, 1, 2, 3, 4]);
        using var capture = new AttentionCapture(5, 3, 1, false, false);
        capture.Qkv.Clear(); // pooled: clear what the case leaves unset
        for (int i = 0; i < 5; i++) GraphMetric.AsSpan(i * 3, 3).CopyTo(capture.Qkv.Slice(i * 9 + 3, 3));
        capture.Qkv[0] = 1;

        new CrossGetReducer(tower, MergeSchedule.Constant(1)).AfterAttention(0, tokens, capture);
        // r = 1: source 3 → 4 (S34 = 0.8), equal importances: plain mean of 3 and 4.
        Assert.Equal([0f, 1f, 2f, 3.5f], tokens.Features.ToArray());

        using var again = Tokens(tower, [0, 1, 2, 3, 4]);
        new CrossGetReducer(tower, MergeSchedule.Constant(2)).AfterAttention(0, again, capture);
        // r = 2: sources 3 (σ 0.8) and 1 (σ −0.04 > −0.68) → 1 goes to 2 with weights e^1 : e^0.96.
        Assert.Equal(0.5099986668799655 * 1 + (1 - 0.5099986668799655) * 2, again.Features[1], tolerance: 1e-5);
        Assert.Equal(3.5f, again.Features[2]);
    }

    [Fact]
    public void CrossGetEnsembleIsSoftmaxOfImportanceForOneSource()
    {
        using var tokens = new TokenSet(Modality.Image, 2, 1, 2);
        tokens.Features.CopyFrom([1f, 0f]);
        tokens.Apply(MergePlan.FromTargets([1, 1], [MathF.Exp(0.2f), MathF.Exp(-0.1f)]));
        Assert.Equal(0.574442516811659, tokens.Features[0], tolerance: 1e-6); // e^0.2 / (e^0.2 + e^−0.1)
    }

    [Fact]
    public void MadtpMatchesHandComputedImportanceThresholdAndFusion()
    {
        // Class token + 3 candidates, one head, width 2, one alignment token S = (1, 0).
        var tower = new TowerInfo("vision", Modality.Image, 1, 2, 1);
        using var tokens = new TokenSet(Modality.Image, 4, 2, 4);
        tokens.Features.CopyFrom([9f, 9f, 2f, 0f, 1f, 5f, 0f, 1f]);
        tokens.Protect(0);
        tokens.Guide = 0;
        using var capture = new AttentionCapture(4, 2, 1, true, true);
        capture.Probabilities.CopyFrom([
            0.1f, 0.5f, 0.3f, 0.1f,
            0.1f, 0.6f, 0.2f, 0.1f,
            0.1f, 0.2f, 0.6f, 0.1f,
            0.1f, 0.3f, 0.3f, 0.3f]);
        capture.HeadOutputs.Fill(1);
        var mag = new MagTokens([1f, 0f], 1, 2);
        // A = [1.1, 1.1, 0.5] / 2.7, G = [2, 1, 0] / 3, C = [0.5, 0.3, 0.1] → I = [0.524691, 0.346914, 0.095062].
        // T = 1: θ = softmax([2, 1, 0])·I = 0.442504 → keep token 1, fuse 2 and 3 by I: (0.784916, 4.139665).
        new MadtpReducer(tower, 1, mag).AfterAttention(0, tokens, capture);
        Assert.Equal(3, tokens.Count);
        Assert.Equal([9f, 9f, 2f, 0f], tokens.Features[..4].ToArray());
        Assert.Equal(0.7849162009370807, tokens.Features[4], tolerance: 1e-5);
        Assert.Equal(4.139664803748323, tokens.Features[5], tolerance: 1e-5);
        Assert.Equal([1f, 1f, 2f], tokens.Sizes.ToArray());
        Assert.Equal([0, 1, 2, 2], tokens.Source.ToArray());

        // T → ∞: θ → mean(I) = 0.322 keeps tokens 1 and 2; fusing one token alone would be pointless, so nothing happens.
        using var wide = new TokenSet(Modality.Image, 4, 2, 4);
        wide.Features.CopyFrom([9f, 9f, 2f, 0f, 1f, 5f, 0f, 1f]); // the same I as above (G reads the features; a rented buffer is not zeroed)
        wide.Protect(0);
        wide.Guide = 0;
        new MadtpReducer(tower, 1e9, mag).AfterAttention(0, wide, capture);
        Assert.Equal(4, wide.Count);
    }

    [Fact]
    public void ToMeMetricIsTheNormalisedHeadMeanOfTheKeys()
    {
        // Two heads of width 2, tokens 0 (class) … 4; A = {0, 2, 4}, B = {1, 3}; r = 1.
        // Head-mean keys: k1 = (4, 0), k2 = (0.6, 0.8) (heads (2.6, −1.2) and (−1.4, 2.8)), k3 = (0.6, 0.8), k4 = (0, 1).
        // Normalised: cos(2,3) = 1 > cos(2,1) = 0.6; cos(4,3) = 0.8 → source 2 merges into 3.
        // Unnormalised dots would send 2 to 1 (2.4 > 1); concatenated heads give cos(2,3) = 2/6 < cos(4,3) = 0.8, so 4 → 3.
        var tower = new TowerInfo("vision", Modality.Image, 1, 4, 2);
        float[][] keys = [[0, 0, 0, 0], [4, 0, 4, 0], [2.6f, -1.2f, -1.4f, 2.8f], [0.6f, 0.8f, 0.6f, 0.8f], [0, 1, 0, 1]];
        using var capture = new AttentionCapture(5, 4, 2, false, false);
        capture.Qkv.Clear();
        for (int i = 0; i < 5; i++) keys[i].CopyTo(capture.Qkv.Slice(i * 12 + 4, 4));
        using var tokens = new TokenSet(Modality.Image, 5, 4, 5);
        for (int i = 0; i < 5; i++) tokens.Row(i).Fill(i);
        tokens.Protect(0);

        new ToMeReducer(tower, MergeSchedule.Constant(1)).AfterAttention(0, tokens, capture);
        // New order: unmerged A (0, 4), then B (1, 3 holding 2).
        Assert.Equal([0, 2, 3, 3, 1], tokens.Source.ToArray());
        Assert.Equal([0f, 4, 1, 2.5f], Enumerable.Range(0, 4).Select(i => tokens.Row(i)[0]));
    }

    [Fact]
    public void PumerPrunesTheImageTokensTheTextAttendsToLeast()
    {
        // [text CLS 0, text 1, image CLS 2, images 3, 4, 5], one head; P[query, key].
        // s_j = mean over text queries 0, 1 of P[i, j]: s3 = (0.1 + 0.3)/2 = 0.2, s4 = (0.5 + 0.1)/2 = 0.3, s5 = (0.1 + 0.2)/2 = 0.15.
        // p = 0.25 of V = 4 image tokens: prune round(1) = 1, the least attended, 5. Read transposed (P[j, i]) the
        // scores would be 0, 0.1, 0.4 and 3 would go; pruning the most attended would drop 4.
        var tower = new TowerInfo("fusion", Modality.Multimodal, 1, 1, 1);
        Modality t = Modality.Text, i = Modality.Image;
        using var capture = new AttentionCapture(6, 1, 1, true, false);
        capture.Qkv.Clear();
        capture.Probabilities.CopyFrom([
            0.1f, 0.1f, 0.1f, 0.1f, 0.5f, 0.1f,
            0.1f, 0.1f, 0.2f, 0.3f, 0.1f, 0.2f,
            1 / 6f, 1 / 6f, 1 / 6f, 1 / 6f, 1 / 6f, 1 / 6f,
            0f, 0f, 0.25f, 0.25f, 0.25f, 0.25f,
            0.1f, 0.1f, 0.2f, 0.2f, 0.2f, 0.2f,
            0.4f, 0.4f, 0.05f, 0.05f, 0.05f, 0.05f]);
        using var tokens = new TokenSet([t, t, i, i, i, i], 1, 6);
        tokens.Features.CopyFrom([0, 1, 2, 3, 4, 5]);
        tokens.Protect(0);
        tokens.Protect(2);

        new PumerReducer(tower, new PumerOptions([0], 0.25, 0, 0)).AfterAttention(0, tokens, capture);
        // Kept image tokens in torch.topk order: 4 (0.3) before 3 (0.2).
        Assert.Equal([0f, 1, 2, 4, 3], tokens.Features.ToArray());
        Assert.Equal([0, 1, 2, 4, 3, -1], tokens.Source.ToArray());
    }

    static TokenSet Tokens(TowerInfo tower, float[] values)
    {
        var tokens = new TokenSet(tower.Modality, values.Length, 1, values.Length);
        tokens.Features.CopyFrom(values);
        tokens.Protect(0);
        tokens.Guide = 0;
        return tokens;
    }
}

static class SpanCopy
{
    public static void CopyFrom(this Span<float> span, float[] values) => values.CopyTo(span);
}
