using Sieve.Models;

namespace Sieve.Tests.Models;

/// <summary><see cref="CheckpointReader.Random"/>: each tensor's values follow from the seed and its name alone.</summary>
public class RandomWeightsTests
{
    [Fact]
    public void ATensorsValuesDoNotDependOnWhatWasRequestedBefore()
    {
        var first = CheckpointReader.Random(5);
        var x1 = first.Tensor("blocks.0.attn.qkv.weight", 12, 4);
        var y1 = first.Tensor("head.weight", 3, 4);
        var second = CheckpointReader.Random(5);
        var y2 = second.Tensor("head.weight", 3, 4);
        var x2 = second.Tensor("blocks.0.attn.qkv.weight", 12, 4);
        Assert.Equal(x1, x2);
        Assert.Equal(y1, y2);
        // Requesting a tensor again gives it again; other names and other seeds give other values.
        Assert.Equal(y1, second.Tensor("head.weight", 3, 4));
        Assert.NotEqual(x1[..12], y1);
        Assert.NotEqual(x1, CheckpointReader.Random(6).Tensor("blocks.0.attn.qkv.weight", 12, 4));
    }

    [Fact]
    public void ValuesHaveTheUsualInitAndNormsStartAsIdentity()
    {
        var weights = CheckpointReader.Random(1);
        var x = weights.Tensor("pos_embed", 1, 100, 100);
        // Uniform on ±0.02·√3: standard deviation 0.02 (10⁴ samples: within 3%), no value outside the interval.
        double mean = x.Average(v => (double)v), std = Math.Sqrt(x.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(std, 0.0194, 0.0206);
        Assert.All(x, v => Assert.InRange(v, -0.03465f, 0.03465f));
        Assert.True(x.Distinct().Count() > 9_900, "values repeat");
        Assert.All(weights.Tensor("vision_model.pre_layrnorm.weight", 8), v => Assert.Equal(1f, v));
        Assert.All(weights.Tensor("encoder.layer.0.layernorm_before.weight", 8), v => Assert.Equal(1f, v));
        Assert.All(weights.Tensor("embeddings.LayerNorm.bias", 8), v => Assert.Equal(0f, v));
        Assert.All(weights.Tensor("head.bias", 8), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TheNameHashIsFnv1aAndSoTheSameInEveryProcess()
    {
        // Published FNV-1a 64 test vectors (string.GetHashCode, by contrast, is randomised per process).
        Assert.Equal(0xcbf29ce484222325UL, TensorRandom.Hash(""));
        Assert.Equal(0xaf63dc4c8601ec8cUL, TensorRandom.Hash("a"));
        Assert.Equal(0x85944171f73967e8UL, TensorRandom.Hash("foobar"));
    }
}
