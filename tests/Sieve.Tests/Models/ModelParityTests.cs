using Sieve.Models;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Models;

/// <summary>Whole forwards of generated checkpoints against the float64 reference, for every storage dtype.</summary>
[Collection(ThreadCountCollection.Name)]
public class ModelParityTests
{
    // Float32 compute vs float64: errors of a few ulps per op, amplified through 2 blocks.
    static void AssertClose(ReadOnlySpan<float> got, double[] want, double rtol = 2e-5) => Float64Parity.AssertClose(got, want, rtol);

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void VitLogitsMatchFloat64Reference(DType dtype)
    {
        using var ck = TinyModels.Vit(11, dtype);
        var model = VitModel.Load(ck.Directory);
        var pixels = Rand.Uniform(new Random(12), 3 * TinyModels.VitImage * TinyModels.VitImage);
        var want = VitReference.Logits(n => ck[n], Ref64.ToDouble(pixels), TinyModels.VitImage, TinyModels.VitPatch,
            TinyModels.VitWidth, TinyModels.VitDepth, TinyModels.VitHeads, TinyModels.VitHidden, TinyModels.VitClasses);
        AssertClose(model.Logits(pixels), want);
    }

    [Theory]
    [InlineData(DType.F32, "quick_gelu")]
    [InlineData(DType.F16, "gelu")]
    [InlineData(DType.BF16, "quick_gelu")]
    public void ClipTowersMatchFloat64Reference(DType dtype, string act)
    {
        using var ck = TinyModels.Clip(21, dtype, act);
        var model = ClipModel.Load(ck.Directory);
        bool quick = act == "quick_gelu";
        var pixels = Rand.Uniform(new Random(22), 3 * TinyModels.ClipImage * TinyModels.ClipImage);
        var image = ClipReference.Image(n => ck[n], Ref64.ToDouble(pixels), TinyModels.ClipImage, TinyModels.ClipPatch,
            TinyModels.ClipVisionWidth, TinyModels.ClipLayers, TinyModels.ClipVisionHeads, TinyModels.ClipVisionHidden, TinyModels.ClipProjection, quick);
        AssertClose(model.Vision.Encode(pixels), image);

        int eos = TinyModels.ClipVocab - 1; // legacy eos_token_id 2 → the highest id
        int[] ids = [0, 17, 4, 33, 8, eos];
        var text = ClipReference.Text(n => ck[n], ids, eos, TinyModels.ClipTextWidth, TinyModels.ClipLayers, TinyModels.ClipTextHeads,
            TinyModels.ClipTextHidden, TinyModels.ClipProjection, quick);
        AssertClose(model.Text.Encode(ids), text);
        Assert.Equal(MathF.Exp((float)ck["logit_scale"][0]), model.LogitScale, 5);
    }

    [Fact]
    public void ClipTextPaddingAfterEndOfTextDoesNotChangeTheEmbedding()
    {
        using var ck = TinyModels.Clip(31, DType.F32);
        var model = ClipModel.Load(ck.Directory);
        int eos = TinyModels.ClipVocab - 1;
        int[] ids = [0, 5, 9, eos];
        int[] padded = [.. ids, .. Enumerable.Repeat(eos, TinyModels.ClipPositions - ids.Length)];
        // The reference runs every padded position, as transformers does.
        var want = ClipReference.Text(n => ck[n], padded, eos, TinyModels.ClipTextWidth, TinyModels.ClipLayers, TinyModels.ClipTextHeads,
            TinyModels.ClipTextHidden, TinyModels.ClipProjection, quickGelu: true);
        AssertClose(model.Text.Encode(padded), want);
        Assert.Equal(model.Text.Encode(ids), model.Text.Encode(padded));
    }

    [Fact]
    public void ForwardIsIdenticalWhateverTheThreadCount()
    {
        using var ck = TinyModels.Vit(41, DType.F32);
        var model = VitModel.Load(ck.Directory);
        var pixels = Rand.Uniform(new Random(42), 3 * TinyModels.VitImage * TinyModels.VitImage);
        var one = ThreadCountCollection.With(1, () => model.Logits(pixels));
        var many = ThreadCountCollection.With(5, () => model.Logits(pixels));
        Assert.Equal(one, many);
    }
}
