using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Weights;

public sealed class CheckpointFilesTests
{
    [Fact]
    public void ShardedCheckpointLoadsLikeTheSingleFile()
    {
        using var ck = TinyModels.Vit(71, DType.BF16);
        var pixels = new float[3 * TinyModels.VitImage * TinyModels.VitImage];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = MathF.Sin(i * 0.37f);
        var expected = VitModel.Load(ck.Directory).Logits(pixels);

        Shards.Split(ck.Directory, 3);
        Assert.False(File.Exists(Path.Combine(ck.Directory, CheckpointFiles.SingleFile)));
        Assert.Equal(expected, VitModel.Load(ck.Directory).Logits(pixels));
    }

    [Fact]
    public void IndexPointingAtTheWrongShardIsReported()
    {
        using var ck = TinyModels.Vit(72, DType.F32);
        var names = Shards.Split(ck.Directory, 2);
        string index = Path.Combine(ck.Directory, CheckpointFiles.IndexFile);
        File.WriteAllText(index, File.ReadAllText(index).Replace($"\"cls_token\":\"{names[0]}\"", $"\"cls_token\":\"{names[1]}\""));
        var e = Assert.Throws<SieveFormatException>(() => VitModel.Load(ck.Directory));
        Assert.Contains($"tensor 'cls_token' should be in {names[1]}", e.Message);
    }

    [Fact]
    public void FolderWithoutWeightsIsReported()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<SieveFormatException>(() => CheckpointFiles.Open(folder.Path));
        Assert.Contains("no model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json (nor one .pth file); the folder holds no weights", e.Message);
    }
}
