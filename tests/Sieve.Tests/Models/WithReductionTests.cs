using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tests.Reduction;

namespace Sieve.Tests.Models;

/// <summary>
/// <c>WithReduction</c> binds each tower's reducer by the tower's modality, on a copy that shares the weights; a
/// reducer can reach a tower only through it or, explicitly, as a forward's hook, and a wrong one is refused.
/// </summary>
public class WithReductionTests
{
    static readonly ClipModel Clip = ReductionModels.Small;

    [Fact]
    public void EachTowerRunsTheSpecForItsModalityAndTheOriginalStaysDense()
    {
        var pixels = ReductionModels.Pixels(Clip, 1);
        var ids = ReductionModels.Text(Clip, 20, 2);
        var reduced = Clip.WithReduction(ModelReduction.Parse("vision=tome:r=8;text=crossget:r=3"));

        var vision = reduced.Vision.Encode(pixels);
        Assert.Equal(Clip.Vision.Encode(pixels, ModelReduction.Parse("tome:r=8").Bind(Clip.Vision.Info)), vision);
        Assert.NotEqual(Clip.Vision.Encode(pixels), vision);
        var text = reduced.Text.Encode(ids);
        Assert.Equal(Clip.Text.Encode(ids, ModelReduction.Parse("crossget:r=3").Bind(Clip.Text.Info)), text);
        Assert.NotEqual(Clip.Text.Encode(ids), text);

        // The copy shares the weights; the model it came from is untouched.
        Assert.Equal(Clip.Vision.Encode(pixels), ClipModel.CreateRandom(Clip.Config, seed: 5).Vision.Encode(pixels));
        Assert.Equal(Clip.Text.Encode(ids), Clip.WithReduction(ModelReduction.Parse("vision=tome:r=8")).Text.Encode(ids));
    }

    [Fact]
    public void AnObserverSeesTheBoundReducersWork()
    {
        var pixels = ReductionModels.Pixels(Clip, 3);
        var dense = new ForwardTrace();
        Clip.Vision.Encode(pixels, dense);
        var traced = new ForwardTrace();
        var reduced = Clip.WithReduction(ModelReduction.Parse("tome:r=8"));
        var embedding = reduced.Vision.Encode(pixels, traced);
        Assert.Equal(reduced.Vision.Encode(pixels), embedding); // observing changes nothing
        Assert.Equal(65, traced.Layers[0].AttentionTokens);
        Assert.Equal(57, traced.Layers[0].MlpTokens);
        Assert.True(traced.Macs < dense.Macs, $"{traced.Macs} ≥ {dense.Macs}");
    }

    [Fact]
    public void AWrongReducerIsRefusedWithTheReason()
    {
        var pixels = ReductionModels.Pixels(Clip, 4);
        var textReducer = ModelReduction.Parse("tome:r=1").Bind(Clip.Text.Info);
        Assert.Contains("built for a text tower", Assert.Throws<ArgumentException>(() => Clip.Vision.Encode(pixels, textReducer)).Message);
        var reduced = Clip.WithReduction(ModelReduction.Parse("tome:r=2"));
        var another = ModelReduction.Parse("crossget:r=2").Bind(Clip.Vision.Info);
        Assert.Contains("already runs a reducer", Assert.Throws<ArgumentException>(() => reduced.Vision.Encode(pixels, another)).Message);
        Assert.Contains("two token reducers", Assert.Throws<ArgumentException>(() => BlockHook.Combine(another, textReducer)).Message);
        Assert.Contains("built for a text tower", Assert.Throws<ArgumentException>(() => Clip.Vision.WithReducer(textReducer)).Message);
    }

    [Fact]
    public void AScheduleTheImageTowerCannotGiveIsRefusedNotCapped()
    {
        // 64 patches: at most 32 merges per block. The text tower's length depends on the text, so it is not checked here.
        Assert.Contains("r is at most 32", Assert.Throws<ArgumentException>(() => Clip.WithReduction(ModelReduction.Parse("tome:r=33"))).Message);
        Assert.Contains("r is at most 32", Assert.Throws<ArgumentException>(() => Clip.WithReduction(ModelReduction.Parse("vision=crossget:r=2..40"))).Message);
        Clip.WithReduction(ModelReduction.Parse("vision=tome:r=32;text=tome:r=33"));
    }

    [Fact]
    public void AFusionTowerTakesOneSpecForItsStream()
    {
        var vilt = ViltModel.CreateRandom(new ViltConfig(32, 2, 2, 64, 1e-12f, 96, 32, 12, 200), seed: 3, answers: 4);
        var e = Assert.Throws<ArgumentException>(() => vilt.WithReduction(ModelReduction.Parse("vision=tome:r=2;text=crossget:r=1")));
        Assert.Contains("one stream of text and image tokens", e.Message);
        var input = vilt.Example(0);
        var reduced = vilt.WithReduction(ModelReduction.Parse("tome:r=4"));
        Assert.Equal(vilt.Forward(input, ModelReduction.Parse("tome:r=4").Bind(vilt.Info)), reduced.Forward(input));
        Assert.NotEqual(vilt.Forward(input), reduced.Forward(input));
    }
}
