using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Models;

/// <summary>A checkpoint that does not fit its model gives one clear error naming the tensor or field.</summary>
public class ModelLoadingErrorTests
{
    internal static void RewriteWithout(string directory, string dropped, (string Name, int[] Shape)? replaced = null)
    {
        string path = Path.Combine(directory, "model.safetensors");
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(path))
            foreach (var (name, info) in file.Tensors)
            {
                if (name == dropped) continue;
                if (replaced is { } r && r.Name == name)
                    writer.Add(name, r.Shape, new float[r.Shape.Aggregate(1, (a, b) => a * b)]);
                else
                    writer.Add(name, info.Shape.AsSpan(), file.ReadFloats(name));
            }
        writer.Save(path);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using var ck = TinyModels.Vit(61, DType.F32);
        RewriteWithout(ck.Directory, "blocks.1.mlp.fc2.bias");
        var e = Assert.Throws<SieveFormatException>(() => VitModel.Load(ck.Directory));
        Assert.Contains("blocks.1.mlp.fc2.bias", e.Message);
    }

    [Fact]
    public void WrongShapeIsNamedWithExpectedAndFound()
    {
        using var ck = TinyModels.Clip(62, DType.F32);
        RewriteWithout(ck.Directory, "", ("text_model.encoder.layers.0.self_attn.k_proj.weight", [TinyModels.ClipTextWidth, 7]));
        var e = Assert.Throws<SieveFormatException>(() => ClipModel.Load(ck.Directory));
        Assert.Contains("text_model.encoder.layers.0.self_attn.k_proj.weight", e.Message);
        Assert.Contains($"[{TinyModels.ClipTextWidth}, 7]", e.Message);
        Assert.Contains($"[{TinyModels.ClipTextWidth}, {TinyModels.ClipTextWidth}]", e.Message);
    }

    [Fact]
    public void ConfigProblemsNameTheField()
    {
        using var wrongAct = TinyModels.Vit(63, DType.F32, c => c["global_pool"] = "avg");
        Assert.Contains("global_pool", Assert.Throws<SieveFormatException>(() => VitModel.Load(wrongAct.Directory)).Message);

        using var unknown = TinyModels.Vit(64, DType.F32, c => { c["architecture"] = "resnet50"; c.Remove("model_args"); });
        var e = Assert.Throws<SieveFormatException>(() => ModelFolder.Detect(unknown.Directory));
        Assert.Contains("not a model Sieve knows", e.Message);

        using var deeper = TinyModels.Vit(65, DType.F32, c => c["model_args"] = new { embed_dim = 48, depth = 1, num_heads = 3, patch_size = 8, img_size = 32 });
        Assert.Contains("more than the 1 blocks", Assert.Throws<SieveFormatException>(() => VitModel.Load(deeper.Directory)).Message);
    }

    [Fact]
    public void MissingConfigOrFolderIsReported()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sieve-empty-" + Guid.NewGuid().ToString("N"));
        Assert.Contains("does not exist", Assert.Throws<SieveFormatException>(() => ModelFolder.Detect(dir)).Message);
        Directory.CreateDirectory(dir);
        try { Assert.Contains("config.json", Assert.Throws<SieveFormatException>(() => ModelFolder.Detect(dir)).Message); }
        finally { Directory.Delete(dir); }
    }
}
