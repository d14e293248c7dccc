using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Weights;

/// <summary>The real timm ViT-Tiny/16 checkpoint in ../shared.</summary>
public sealed class RealCheckpointTests
{
    static string ModelPath => SharedData.Path("models", "vit-tiny-patch16-224", "model.safetensors");

    [SharedDataFact]
    public void VitTiny_HasTheTimmLayout()
    {
        using var file = SafetensorsFile.Open(ModelPath);

        // 12 blocks × 12 tensors, plus cls_token, pos_embed, patch_embed.proj.{weight,bias}, norm.{weight,bias}, head.{weight,bias}.
        Assert.Equal(12 * 12 + 8, file.Tensors.Count);
        Assert.Equal(5_717_416, file.Tensors.Values.Sum(t => t.ElementCount));
        Assert.All(file.Tensors.Values, t => Assert.Equal(DType.F32, t.DType));
        Assert.Equal<int>([192, 3, 16, 16], file.Get("patch_embed.proj.weight").Shape);
        Assert.Equal<int>([1000, 192], file.Get("head.weight").Shape);
        Assert.Equal<int>([576, 192], file.Get("blocks.11.attn.qkv.weight").Shape);
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [SharedDataFact]
    public void VitTiny_ReadsTheStoredValues()
    {
        using var file = SafetensorsFile.Open(ModelPath);

        // Reference values read with Python's struct module.
        var cls = file.ReadFloats("cls_token", 1, 1, 192);
        Assert.Equal([-0.3557218015193939f, -0.03764374926686287f, -0.07171443104743958f], cls[..3]);
        Assert.Equal(0.04390406608581543f, cls[^1]);
        var patch = file.ReadFloats("patch_embed.proj.weight", 192, 3, 16, 16);
        Assert.Equal(0.08048509061336517f, patch[0]);
        Assert.Equal(0.007907053455710411f, patch[^1]);
    }

    [SharedDataFact]
    public void VitTiny_AsAPytorchModelBinGivesTheSameLogits()
    {
        using var folder = new TempFolder();
        var save = new TorchSave();
        var tensors = new List<(string, PyTensor)>();
        using (var file = SafetensorsFile.Open(ModelPath))
            foreach (var (name, info) in file.Tensors)
            {
                var bytes = new MemoryStream();
                file.CopyBytes(info, bytes);
                long[] dims = [.. info.Shape.Select(d => (long)d)];
                tensors.Add((name, new PyTensor(save.Add("FloatStorage", bytes.ToArray()), 0, dims, TorchSave.Contiguous(dims))));
            }
        save.Save(folder.File(CheckpointFiles.TorchFile), TorchSave.StateDict(tensors));
        File.Copy(SharedData.Path("models", "vit-tiny-patch16-224", "config.json"), folder.File("config.json"));

        var pixels = new float[3 * 224 * 224];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = MathF.Sin(i * 0.01f);
        Assert.Equal(VitModel.Load(Path.GetDirectoryName(ModelPath)!).Logits(pixels), VitModel.Load(folder.Path).Logits(pixels));
    }
}
