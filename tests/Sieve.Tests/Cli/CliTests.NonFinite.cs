using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>NaN in a model, in guidance or in a fit's loss ends the command with the reason and exit code 2, not with plausible output.</summary>
public sealed partial class CliTests
{
    [Fact]
    public void ANaNWeightOrNaNGuidanceIsAnErrorNamingTheTensor()
    {
        using var vit = TinyModels.Vit(75, DType.F32);
        string image = WriteImage("nan.png", 11);
        string path = Path.Combine(vit.Directory, "model.safetensors");
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(path))
            foreach (var (name, info) in file.Tensors)
            {
                var values = file.ReadFloats(name);
                if (name == "blocks.0.attn.qkv.weight") values[0] = float.NaN;
                writer.Add(name, info.Shape.AsSpan(), values);
            }
        string broken = Path.Combine(_temp.Path, "broken");
        Directory.CreateDirectory(broken);
        File.Copy(Path.Combine(vit.Directory, "config.json"), Path.Combine(broken, "config.json"));
        writer.Save(Path.Combine(broken, "model.safetensors"));
        var (code, output) = Run("classify", "--model", broken, image);
        Assert.Equal(2, code);
        Assert.Contains("tensor 'blocks.0.attn.qkv.weight'", output);
        Assert.Contains("holds NaN at [0, 0]", output);

        string guide = Path.Combine(_temp.Path, "nan-guide.safetensors");
        new SafetensorsWriter().Add("crossget.vision.offsets", [TinyModels.VitDepth, TinyModels.VitWidth],
            Enumerable.Repeat(float.NaN, TinyModels.VitDepth * TinyModels.VitWidth).ToArray()).Save(guide);
        (code, output) = Run("classify", "--model", vit.Directory, "--reducer", "crossget:r=3", "--guidance", guide, image);
        Assert.Equal(2, code);
        Assert.Contains("tensor 'crossget.vision.offsets'", output);
    }
}
