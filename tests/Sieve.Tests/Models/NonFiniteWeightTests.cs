using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Models;

/// <summary>
/// One NaN or ±∞ anywhere in a checkpoint or a guidance file is refused at load, naming the tensor and the element:
/// the kernels would carry it into every output (or, as the clamped exp once did, hide it behind plausible ones).
/// </summary>
public class NonFiniteWeightTests
{
    /// <summary>Rewrites the checkpoint in <paramref name="directory"/> with element <paramref name="index"/> of <paramref name="tensor"/> set to <paramref name="value"/>, keeping dtypes.</summary>
    static void Plant(string directory, string tensor, int index, float value)
    {
        string path = Path.Combine(directory, "model.safetensors");
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(path))
            foreach (var (name, info) in file.Tensors)
            {
                var values = file.ReadFloats(name);
                if (name == tensor) values[index] = value;
                writer.Add(name, info.Shape.AsSpan(), values, info.DType);
            }
        writer.Save(path);
    }

    [Fact]
    public void ANaNInTheFirstAttentionIsRefusedWithTheTensorAndElement()
    {
        using var ck = TinyModels.Vit(71, DType.F32);
        // Row 5, column 7 of the [144, 48] qkv weight.
        Plant(ck.Directory, "blocks.0.attn.qkv.weight", 5 * TinyModels.VitWidth + 7, float.NaN);
        var e = Assert.Throws<SieveFormatException>(() => VitModel.Load(ck.Directory));
        Assert.Contains("tensor 'blocks.0.attn.qkv.weight'", e.Message);
        Assert.Contains("holds NaN at [5, 7]", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Theory]
    [InlineData(DType.F16, float.PositiveInfinity, "+Infinity")]
    [InlineData(DType.BF16, float.NegativeInfinity, "-Infinity")]
    [InlineData(DType.F32, float.NaN, "NaN")]
    public void InfinityOrNaNInAnyStoredFormatIsRefused(DType dtype, float value, string shown)
    {
        using var ck = TinyModels.Clip(72, dtype);
        // The last element: the scan must reach the end of the tensor.
        int last = TinyModels.ClipTextHidden * TinyModels.ClipTextWidth - 1;
        Plant(ck.Directory, "text_model.encoder.layers.1.mlp.fc1.weight", last, value);
        var e = Assert.Throws<SieveFormatException>(() => ClipModel.Load(ck.Directory));
        Assert.Contains($"tensor 'text_model.encoder.layers.1.mlp.fc1.weight' in {Path.Combine(ck.Directory, "model.safetensors")} holds {shown} at [{TinyModels.ClipTextHidden - 1}, {TinyModels.ClipTextWidth - 1}]", e.Message);
    }

    [Theory]
    [InlineData(Precision.Float32)]
    [InlineData(Precision.Int8)]
    public void ANaNInATokenTableLeftInTheFileIsRefusedAsARead(Precision precision)
    {
        // An F32 table is not read at load but mapped (EmbeddingTable): it is checked where it lies.
        using var ck = TinyModels.Clip(74, DType.F32);
        Plant(ck.Directory, "text_model.embeddings.token_embedding.weight", 2 * TinyModels.ClipTextWidth + 3, float.NaN);
        var e = Assert.Throws<SieveFormatException>(() => ClipModel.Load(ck.Directory, precision));
        Assert.Contains($"tensor 'text_model.embeddings.token_embedding.weight' in {Path.Combine(ck.Directory, "model.safetensors")} holds NaN at [2, 3]", e.Message);
    }

    [Fact]
    public void FiniteExtremesStillLoad()
    {
        using var ck = TinyModels.Vit(73, DType.F32);
        Plant(ck.Directory, "head.bias", 0, float.MaxValue);
        Plant(ck.Directory, "head.bias", 1, -float.Epsilon);
        VitModel.Load(ck.Directory);
    }

    [Fact]
    public void GuidanceHoldingNaNIsRefusedWithTheTensor()
    {
        using var temp = new TempFolder("sieve-guidance-");
        string path = Path.Combine(temp.Path, "guide.safetensors");
        var offsets = new float[2 * 5];
        offsets[7] = float.NaN;
        new SafetensorsWriter().Add("crossget.vision.offsets", [2, 5], offsets).Save(path);
        var e = Assert.Throws<SieveFormatException>(() => ReductionGuidance.Load(path));
        Assert.Contains($"tensor 'crossget.vision.offsets' in {path} holds NaN at [1, 2]", e.Message);
    }
}
