using System.Security.Cryptography;
using Sieve.Data;
using Sieve.Models;
using Sieve.Tensors;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve quantize</c>: saved int8 weights load bit-identical to quantize-at-load, and bad input is refused.</summary>
public sealed partial class CliTests
{
    /// <summary>Runs <c>sieve quantize</c> on <paramref name="model"/> into a new folder, which it returns.</summary>
    string Quantize(string model, string name)
    {
        string output = Path.Combine(_temp.Path, name);
        var run = CliRun.Of("quantize", "--model", model, "--out", output);
        Assert.True(run.Code == 0, run.Output);
        Assert.Equal(Path.GetFullPath(output), run.Stdout.Trim());
        return output;
    }

    [Fact]
    public void QuantizedVitSavesEachBlockWeightAsInt8RowsAndLoadsBitIdenticalToQuantizeAtLoad()
    {
        using var ck = TinyModels.Vit(311, DType.BF16);
        string output = Quantize(ck.Directory, "vit-int8");
        Assert.Equal(["config.json", "model.safetensors"], Directory.EnumerateFiles(output).Select(Path.GetFileName).Order());

        using (var original = SafetensorsFile.Open(Path.Combine(ck.Directory, CheckpointFiles.SingleFile)))
        using (var saved = SafetensorsFile.Open(Path.Combine(output, CheckpointFiles.SingleFile)))
        {
            Assert.Equal(Int8Checkpoint.MetadataValue, saved.Metadata[Int8Checkpoint.MetadataKey]);
            int quantized = 0;
            foreach (var (name, info) in original.Tensors)
            {
                // The first block's qkv and fc2 stay float32 in int8 (CheckpointReader.BlockPrecision), so they are kept too.
                bool blockWeight = name.StartsWith("blocks.") && name.EndsWith(".weight") && !name.Contains("norm") && name is not ("blocks.0.attn.qkv.weight" or "blocks.0.mlp.fc2.weight");
                Assert.True(blockWeight == (saved.Get(name).DType == DType.I8), name);
                if (!blockWeight)
                {
                    Assert.Equal(TensorBytes(original, name), TensorBytes(saved, name)); // kept as it was, dtype and bytes
                    Assert.False(saved.Contains(name + Int8Checkpoint.ScaleSuffix), name);
                    continue;
                }
                quantized++;
                // Independent float64 check: scale = max|w|/127, every |w − scale·q| ≤ scale/2, the largest at ±127.
                int n = info.Shape[0], k = info.Shape[1];
                var w = original.ReadFloats(name);
                var q = TensorBytes(saved, name).Select(b => (sbyte)b).ToArray();
                var scales = saved.ReadFloats(name + Int8Checkpoint.ScaleSuffix, n);
                for (int j = 0; j < n; j++)
                {
                    double max = Enumerable.Range(0, k).Max(c => Math.Abs((double)w[j * k + c]));
                    Assert.Equal(max / 127, scales[j], max / 127 * 1e-6);
                    Assert.Equal(127, Enumerable.Range(0, k).Max(c => Math.Abs((int)q[j * k + c])));
                    for (int c = 0; c < k; c++)
                        Assert.True(Math.Abs(w[j * k + c] - (double)scales[j] * q[j * k + c]) <= scales[j] * (0.5 + 1e-5), $"{name}[{j}, {c}]");
                }
            }
            Assert.Equal(4 * TinyModels.VitDepth - 2, quantized); // qkv, proj, fc1, fc2 of every block but the first block's qkv and fc2
            Assert.Equal(original.Tensors.Count + quantized, saved.Tensors.Count);
        }

        var atLoad = VitModel.Load(ck.Directory, Precision.Int8).Logits(VitPixels());
        Assert.NotEqual(VitModel.Load(ck.Directory).Logits(VitPixels()), atLoad);
        Assert.Equal(atLoad, VitModel.Load(output).Logits(VitPixels())); // int8 without asking: the folder says so
        Assert.Equal(atLoad, VitModel.Load(output, Precision.Int8).Logits(VitPixels()));
    }

    [Fact]
    public void QuantizedClipEncodesImagesAndTextsBitIdenticalToQuantizeAtLoad()
    {
        using var ck = TinyModels.Clip(312, DType.F32);
        string output = Quantize(ck.Directory, "clip-int8");
        using (var savedFile = SafetensorsFile.Open(Path.Combine(output, CheckpointFiles.SingleFile)))
        {
            // The text tower's token table is int8 too, one scale per row (an int8 load holds it so).
            Assert.Equal(DType.I8, savedFile.Get(ClipLayout.Text.TokenEmbedding).DType);
            Assert.Equal([TinyModels.ClipVocab], savedFile.Get(ClipLayout.Text.TokenEmbedding + Int8Checkpoint.ScaleSuffix).Shape.ToArray());
        }
        var atLoad = ClipModel.Load(ck.Directory, Precision.Int8);
        var saved = ClipModel.Load(output);
        var image = ImageDecoder.Decode(WriteImage("q.png", 31));
        Assert.NotEqual(ClipModel.Load(ck.Directory).EncodeImage(image), atLoad.EncodeImage(image));
        Assert.Equal(atLoad.EncodeImage(image), saved.EncodeImage(image));
        int[] ids = [0, 7, 31, 59, 1];
        Assert.NotEqual(ClipModel.Load(ck.Directory).Text.Encode(ids), atLoad.Text.Encode(ids));
        Assert.Equal(atLoad.Text.Encode(ids), saved.Text.Encode(ids));
        using var file = SafetensorsFile.Open(Path.Combine(output, CheckpointFiles.SingleFile));
        Assert.Equal(DType.I8, file.Get("text_model.encoder.layers.1.self_attn.q_proj.weight").DType); // both towers
        Assert.Equal(DType.I8, file.Get("vision_model.encoder.layers.1.mlp.fc2.weight").DType);
        // Each tower's first block keeps q/k/v and fc2 in float32, and quantizes the rest.
        foreach (string tower in new[] { "text_model", "vision_model" })
        {
            foreach (string kept in new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.fc2" })
                Assert.Equal(DType.F32, file.Get($"{tower}.encoder.layers.0.{kept}.weight").DType);
            foreach (string quantized in new[] { "self_attn.out_proj", "mlp.fc1" })
                Assert.Equal(DType.I8, file.Get($"{tower}.encoder.layers.0.{quantized}.weight").DType);
        }
        Assert.Equal(DType.F32, file.Get("visual_projection.weight").DType);
    }

    [Fact]
    public void QuantizeRefusesBadInputWithOneLineAndExit2AndLeavesTheInputAsItWas()
    {
        using var ck = TinyModels.Vit(313, DType.F32);
        string quantized = Quantize(ck.Directory, "once");
        var before = Directory.EnumerateFiles(ck.Directory).ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
        string full = Path.Combine(_temp.Path, "full");
        Directory.CreateDirectory(full);
        File.WriteAllText(Path.Combine(full, "keep.txt"), "mine");

        (string[] Args, string Message)[] cases =
        [
            (["quantize", "-m", quantized, "--out", Path.Combine(_temp.Path, "twice")], "is quantized already"),
            (["quantize", "-m", ck.Directory, "--out", Path.Combine(ck.Directory, "inside")], "which is being read"),
            (["quantize", "-m", ck.Directory, "--out", full], "already exists and is not an empty folder"),
            (["quantize", "-m", Path.Combine(_temp.Path, "missing"), "--out", Path.Combine(_temp.Path, "never")], "missing"),
            (["export-onnx", "-m", quantized, "--out", Path.Combine(_temp.Path, "never.onnx")], "holds int8 weights saved by `sieve quantize`"),
        ];
        foreach (var (args, message) in cases)
        {
            var run = CliRun.Of(args);
            Assert.True(run.Code == 2, run.Output);
            Assert.Equal("", run.Stdout);
            var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(message, line);
        }
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "twice")));
        Assert.Equal(["keep.txt"], Directory.EnumerateFiles(full).Select(Path.GetFileName));
        Assert.Equal(before, Directory.EnumerateFiles(ck.Directory).ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));
    }
}
