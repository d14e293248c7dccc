using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve convert</c>, and commands given a PyTorch checkpoint that must be refused.</summary>
public sealed partial class CliTests
{
    static float[] VitPixels()
    {
        var pixels = new float[3 * TinyModels.VitImage * TinyModels.VitImage];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = MathF.Cos(i * 0.11f);
        return pixels;
    }

    static byte[] TensorBytes(TensorFile file, string name)
    {
        var bytes = new MemoryStream();
        file.CopyBytes(file.Get(name), bytes);
        return bytes.ToArray();
    }

    [Fact]
    public void ConvertRewritesAPytorchCheckpointAsSafetensorsBitForBit()
    {
        using var ck = TinyModels.Vit(301, DType.BF16);
        string source = Path.Combine(_temp.Path, "bin"), output = Path.Combine(_temp.Path, "converted");
        Directory.CreateDirectory(source);
        // Views of one shared storage (transposed matrices), plus an integer buffer beside the weights.
        var (save, stateDict) = TorchCheckpoints.Build(ck, TorchLayout.SharedViews);
        long[] ids = [0, 1, 2, 3, 40_000_000_000];
        int idStorage = save.Add("LongStorage", [.. ids.SelectMany(BitConverter.GetBytes)]);
        save.Save(Path.Combine(source, CheckpointFiles.TorchFile),
            stateDict with { Items = [.. stateDict.Items, ("position_ids", new PyTensor(idStorage, 0, [1, 5], [5, 1]))] }, protocol: 4);
        File.Copy(Path.Combine(ck.Directory, "config.json"), Path.Combine(source, "config.json"));
        File.WriteAllText(Path.Combine(source, "preprocessor_config.json"), "{\"crop_size\": 32}");

        var run = CliRun.Of("convert", "--model", source, "--out", output);

        Assert.True(run.Code == 0, run.Output);
        Assert.Equal(Path.GetFullPath(output), run.Stdout.Trim());
        Assert.Contains($"converted {ck.Order.Count + 1} tensors from {Path.Combine(source, CheckpointFiles.TorchFile)}", run.Stderr);
        Assert.Equal(["config.json", "model.safetensors", "preprocessor_config.json"], Directory.EnumerateFiles(output).Select(Path.GetFileName).Order());
        Assert.Equal(File.ReadAllBytes(Path.Combine(source, "config.json")), File.ReadAllBytes(Path.Combine(output, "config.json")));

        using (var original = SafetensorsFile.Open(Path.Combine(ck.Directory, CheckpointFiles.SingleFile)))
        using (var converted = SafetensorsFile.Open(Path.Combine(output, CheckpointFiles.SingleFile)))
        {
            Assert.Equal(original.Tensors.Keys.Append("position_ids").Order(StringComparer.Ordinal), converted.Tensors.Keys);
            foreach (var (name, info) in original.Tensors)
            {
                Assert.Equal(info.DType, converted.Get(name).DType);
                Assert.Equal(info.Shape.ToArray(), converted.Get(name).Shape.ToArray());
                Assert.Equal(TensorBytes(original, name), TensorBytes(converted, name));
            }
            Assert.Equal(DType.I64, converted.Get("position_ids").DType);
            Assert.Equal(ids.SelectMany(BitConverter.GetBytes), TensorBytes(converted, "position_ids"));
        }
        Assert.Equal(VitModel.Load(ck.Directory).Logits(VitPixels()), VitModel.Load(output).Logits(VitPixels()));
    }

    [Fact]
    public void ConvertJoinsShardsIntoOneFile()
    {
        using var ck = TinyModels.Vit(302, DType.F16);
        var expected = VitModel.Load(ck.Directory).Logits(VitPixels());
        Shards.Split(ck.Directory, 3);
        string output = Path.Combine(_temp.Path, "joined");
        Assert.True(CliRun.Of("convert", "-m", ck.Directory, "-o", output).Code == 0);
        Assert.Equal(["config.json", "model.safetensors"], Directory.EnumerateFiles(output).Select(Path.GetFileName).Order());
        Assert.Equal(expected, VitModel.Load(output).Logits(VitPixels()));
    }

    [Fact]
    public void ConvertNeverWritesOverItsInputOrAnotherFolder()
    {
        using var ck = TinyModels.Vit(303, DType.F32);
        string weights = Hash(Path.Combine(ck.Directory, CheckpointFiles.SingleFile));
        Assert.Contains("is inside", Refused(CliRun.Of("convert", "-m", ck.Directory, "-o", Path.Combine(ck.Directory, "out"))));
        Assert.Contains("is inside", Refused(CliRun.Of("convert", "-m", ck.Directory, "-o", ck.Directory)));

        string occupied = Path.Combine(_temp.Path, "occupied");
        Directory.CreateDirectory(occupied);
        File.WriteAllText(Path.Combine(occupied, "notes.txt"), "mine");
        Assert.Contains("already exists and is not an empty folder", Refused(CliRun.Of("convert", "-m", ck.Directory, "-o", occupied)));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(occupied, "notes.txt")));
        Assert.Single(Directory.EnumerateFileSystemEntries(occupied));
        Assert.Equal(weights, Hash(Path.Combine(ck.Directory, CheckpointFiles.SingleFile)));
    }

    [Fact]
    public void HostileOrBrokenPytorchCheckpointsAreOneLineRefusals()
    {
        using var ck = TinyModels.Vit(304, DType.F32);
        string folder = Path.Combine(_temp.Path, "hostile"), output = Path.Combine(_temp.Path, "never");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(ck.Directory, "config.json"), Path.Combine(folder, "config.json"));
        string bin = Path.Combine(folder, CheckpointFiles.TorchFile), image = WriteImage("h.png", 304);
        var (save, stateDict) = TorchCheckpoints.Build(ck, TorchLayout.PerTensor);
        string marker = Path.Combine(_temp.Path, "ran");

        save.Save(bin, new PyDict([("model", stateDict), ("hook", new PyCall("posix", "system", $"touch {marker}"))]));
        Assert.Equal($"error: refusing to load {bin}: the pickle calls `posix.system`; Sieve never runs code from a checkpoint and reads only tensors, storages and plain values",
            Refused(CliRun.Of("convert", "-m", folder, "-o", output)));
        Assert.Contains("the pickle calls `posix.system`", Refused(CliRun.Of("classify", "-m", folder, image)));
        Assert.False(File.Exists(marker));
        Assert.False(Directory.Exists(output));

        File.WriteAllBytes(bin, save.Build(stateDict)[..^30]);
        Assert.Contains("not a readable zip archive", Refused(CliRun.Of("classify", "-m", folder, image)));

        File.Delete(bin);
        File.WriteAllBytes(Path.Combine(folder, "ViT-B-16.pt"), TorchSave.Zip([.. save.Entries(stateDict), ("archive/constants.pkl", [0x80, 2, (byte)')', (byte)'.'])]));
        Assert.Contains("is a TorchScript archive", Refused(CliRun.Of("convert", "-m", folder, "-o", output)));
    }
}
