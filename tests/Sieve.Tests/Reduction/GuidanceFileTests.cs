using Sieve.Nn;
using Sieve.Eval;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Reduction;

public class GuidanceFileTests
{
    [Fact]
    public void CrossTokenOffsetsAndAlignmentTokensLoadFromSafetensors()
    {
        var model = ReductionModels.Small;
        var vision = model.Vision.Info;
        var offsets = Rand.Normal(new Random(1), vision.Layers * vision.Width, 0.1f);
        var mag = Rand.Normal(new Random(2), 7 * vision.Width);
        using var folder = new TempFolder();
        string path = folder.File("guidance.safetensors");
        new SafetensorsWriter()
            .Add(GuidanceTensors.CrossTokenOffsets(vision.Name), [vision.Layers, vision.Width], offsets)
            .Add(GuidanceTensors.MagTokens, [7, vision.Width], mag)
            .AddMetadata("model", "small")
            .Save(path);

        var guidance = ReductionGuidance.Load(path);
        Assert.Equal("small", guidance.Metadata["model"]);
        Assert.Equal(offsets, guidance.CrossTokenOffsets(vision));
        Assert.Null(guidance.CrossTokenOffsets(model.Text.Info));
        Assert.Equal(7, guidance.MagTokens!.Count);

        // Loaded offsets add the cross token (one more token in the first block) and move the output.
        var pixels = ReductionModels.Pixels(model, 2);
        var trace = new ForwardTrace();
        var guided = model.Vision.Encode(pixels, BlockHook.Combine(ModelReduction.Parse("crossget:r=4").Bind(vision, guidance), trace));
        Assert.Equal(model.Vision.Tokens + 1, trace.Layers[0].AttentionTokens);
        Assert.NotEqual(model.Vision.Encode(pixels, ModelReduction.Parse("crossget:r=4").Bind(vision)), guided);
        // Exactly the offsets written, in layer order: the forward of a reducer given the array itself.
        Assert.Equal(model.Vision.Encode(pixels, new CrossGetReducer(vision, MergeSchedule.Constant(4), offsets)), guided);
        Assert.IsType<MadtpReducer>(ModelReduction.Parse("madtp:t=1").Bind(vision, guidance));
        Assert.Equal(mag, guidance.MagTokens.Tokens.ToArray());
        Assert.Equal(model.Vision.Encode(pixels, new MadtpReducer(vision, 1, new MagTokens(mag, 7, vision.Width))),
            model.Vision.Encode(pixels, ModelReduction.Parse("madtp:t=1").Bind(vision, guidance)));
    }

    [Fact]
    public void GuidanceForAnotherShapeOrWithForeignTensorsIsRefused()
    {
        var vision = ReductionModels.Small.Vision.Info;
        using var folder = new TempFolder();
        string wrong = folder.File("wrong.safetensors");
        new SafetensorsWriter().Add("crossget.vision.offsets", [2, 5], new float[10]).Save(wrong);
        var e = Assert.Throws<SieveFormatException>(() => ReductionGuidance.Load(wrong).CrossTokenOffsets(vision));
        Assert.Contains($"'crossget.vision.offsets' has shape [2, 5], expected [{vision.Layers}, {vision.Width}]", e.Message);

        string foreign = folder.File("foreign.safetensors");
        new SafetensorsWriter().Add("blocks.0.attn.qkv.weight", [2], new float[2]).Save(foreign);
        Assert.Contains("is not guidance", Assert.Throws<SieveFormatException>(() => ReductionGuidance.Load(foreign)).Message);
    }
}
