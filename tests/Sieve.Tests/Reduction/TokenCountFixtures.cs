using Sieve.Nn;
using Sieve.Eval;
using Sieve.Reduction;

namespace Sieve.Tests.Reduction;

/// <summary>
/// The token counts issue 4 and ALGORITHMS.md §2d fix for CrossGET on a CLIP ViT-B/16-shaped model, and
/// issue 5 and §4 for PuMer's released setting on a ViLT-B/32-shaped model.
/// </summary>
public class TokenCountFixtures
{
    [Fact]
    public void TrainingFreeVisionWithClassTokenAsGuide()
    {
        var model = ReductionModels.VitB16;
        var trace = new ForwardTrace();
        model.Vision.Encode(ReductionModels.Pixels(model, 1), BlockHook.Combine(ModelReduction.Parse("crossget:r=16").Bind(model.Vision.Info), trace));
        Assert.Equal([181, 165, 149, 133, 117, 101, 85, 69, 53, 37, 21, 11], trace.Layers.Select(l => l.MlpTokens));
        Assert.Equal(197, trace.Layers[0].AttentionTokens);
    }

    [Fact]
    public void VisionWithAFittedCrossToken()
    {
        var model = ReductionModels.VitB16;
        var trace = new ForwardTrace();
        var reducer = ModelReduction.Parse("crossget:r=16").Bind(model.Vision.Info, ReductionModels.Offsets(model));
        model.Vision.Encode(ReductionModels.Pixels(model, 1), BlockHook.Combine(reducer, trace));
        Assert.Equal(198, trace.Layers[0].AttentionTokens);
        Assert.Equal([182, 166, 150, 134, 118, 102, 86, 70, 54, 38, 22, 12], trace.Layers.Select(l => l.MlpTokens));
    }

    [Fact]
    public void TextWithACrossToken()
    {
        var model = ReductionModels.VitB16;
        var trace = new ForwardTrace();
        var reducer = ModelReduction.Parse("text=crossget:r=6").Bind(model.Text.Info, ReductionModels.Offsets(model));
        model.Text.Encode(ReductionModels.Text(model, 77, 3), BlockHook.Combine(reducer, trace));
        Assert.Equal(78, trace.Layers[0].AttentionTokens);
        Assert.Equal([72, 66, 60, 54, 48, 42, 36, 30, 24, 18, 12, 8], trace.Layers.Select(l => l.MlpTokens));
    }

    [Fact]
    public void ReducedMacsAreCountedAtTheActualTokenCounts()
    {
        var model = ReductionModels.VitB16;
        var trace = new ForwardTrace();
        model.Vision.Encode(ReductionModels.Pixels(model, 1), BlockHook.Combine(ModelReduction.Parse("crossget:r=16").Bind(model.Vision.Info), trace));
        // Published: 20.57 → 12.04 GFLOPs for the whole CLIP with r_v = 16 (and r_t = 6). Vision alone: 17.6 → ~9.9 (fvcore).
        double ratio = (double)trace.Macs / model.Vision.Macs;
        Assert.InRange(ratio, 0.50, 0.62);
        Assert.True(trace.Layers.Sum(l => l.ReducerMacs) > 0);
        // Exactly: patches, the blocks at the counts above with CrossGET's overhead, the projection (MacCountTests' formulas).
        var blocks = MacCountTests.Merged(197, 12, 768, 3072, 16, (n, _) => MacCountTests.CrossGetOverhead(n, 768));
        Assert.Equal(196L * 768 * 768 + blocks.Macs + 768L * 512, trace.Macs);
        Assert.Equal(8.91, Math.Round(trace.Macs / 1e9, 2)); // the README's bench table
    }

    [Fact]
    public void PumerReleasedSettingOnViltB32With40TextTokensAt384()
    {
        var vilt = Sieve.Models.ViltModel.CreateRandom(Sieve.Models.ViltConfig.B32, seed: 2, answers: 10);
        var ids = Enumerable.Range(0, 40).Select(i => i == 0 ? 101 : i == 39 ? 102 : 2000 + 37 * i).ToArray();
        var input = new Sieve.Models.ViltInput(ids, Support.Rand.Uniform(new Random(3), 3 * 384 * 384), 384, 384);
        var steps = new List<Modality[]>();
        var trace = new ForwardTrace();
        vilt.AnswerLogits(input, BlockHook.Combine(new ModalityRecorder(ModelReduction.Parse("pumer").Bind(vilt.Info)!, steps), trace));
        var counts = steps.Select(ModalityRecorder.Count).ToArray();
        // After blocks 2, 5 and 8 (image/text): 145/40 → 87/32 → 52/26 → 31/21; nothing changes elsewhere.
        Assert.Equal([(145, 40), (145, 40), (87, 32), (87, 32), (87, 32), (52, 26), (52, 26), (52, 26), (31, 21), (31, 21), (31, 21), (31, 21)], counts);
        Assert.Equal(185, trace.Layers[0].AttentionTokens);
        // Exactly: 144 patches of 3 072 values, the blocks with PuMer's overhead (MacCountTests), pooler, VQA head over 10 answers.
        Assert.Equal(144L * 3072 * 768 + MacCountTests.PumerBlocks(145, 40) + 768L * 768 + 768L * 1536 + 1536L * 10, trace.Macs);
        Assert.Equal(9.20, Math.Round((trace.Macs - 1536L * 10 + 1536L * 3129) / 1e9, 2)); // the README's ViLT bench row, 3 129 answers
    }
}
