using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Weights;

/// <summary>
/// PyTorch checkpoints written by the test's own <see cref="TorchSave"/> (Python's pickler and PyTorch's zip layout,
/// re-implemented): what the reader gives equals what was written, views and shared storages included.
/// </summary>
public sealed class TorchCheckpointFileTests : IDisposable
{
    readonly TempFolder _temp = new("sieve-torch-");

    public void Dispose() => _temp.Dispose();

    string Write(TorchSave save, object? root, int protocol = 2, string name = "model.bin") => save.Save(_temp.File(name), root, protocol);

    static byte[] F32(IEnumerable<float> values) => [.. values.SelectMany(BitConverter.GetBytes)];

    /// <summary>Element [i…] of a view: storage[offset + Σ index·stride], worked out here in float64.</summary>
    static double[] View(float[] storage, long offset, long[] shape, long[] strides)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var result = new double[count];
        var index = new long[shape.Length];
        for (long n = 0; n < count; n++)
        {
            long at = offset;
            for (int d = 0; d < shape.Length; d++) at += index[d] * strides[d];
            result[n] = storage[at];
            for (int d = shape.Length - 1; d >= 0 && ++index[d] == shape[d]; d--) index[d] = 0;
        }
        return result;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void ViewsOfOneSharedStorageReadAsWritten(int protocol)
    {
        var storage = Enumerable.Range(0, 24).Select(i => i * 0.5f - 3f).ToArray();
        var save = new TorchSave();
        int s = save.Add("FloatStorage", F32(storage));
        var views = new (string Name, long Offset, long[] Shape, long[] Strides)[]
        {
            ("contiguous", 0, [2, 3], [3, 1]),
            ("transposed", 6, [3, 2], [1, 3]),       // the transpose of a [2, 3] block
            ("strided", 13, [2, 2], [6, 2]),         // every other column of every row
            ("broadcast", 5, [3, 4], [0, 1]),        // expand(): one row repeated
            ("scalar", 23, [], []),
            ("empty", 24, [0, 5], [5, 1]),           // no elements: any offset is fine
        };
        var path = Write(save, TorchSave.StateDict(views.Select(v => (v.Name, new PyTensor(s, v.Offset, v.Shape, v.Strides)))), protocol);

        using var file = TorchCheckpointFile.Open(path);
        Assert.Equal(views.Select(v => v.Name), file.Tensors.Keys);
        foreach (var (name, offset, shape, strides) in views)
        {
            Assert.Equal(shape.Select(d => (int)d), file.Get(name).Shape);
            Assert.Equal(DType.F32, file.Get(name).DType);
            Assert.Equal(View(storage, offset, shape, strides), file.ReadFloats(name).Select(v => (double)v));
            var bytes = new MemoryStream();
            file.CopyBytes(file.Get(name), bytes);
            Assert.Equal(F32(View(storage, offset, shape, strides).Select(v => (float)v)), bytes.ToArray());
        }
    }

    [Theory]
    [InlineData("HalfStorage", DType.F16)]
    [InlineData("BFloat16Storage", DType.BF16)]
    [InlineData("DoubleStorage", DType.F64)]
    public void HalfBFloatAndDoubleStoragesConvertExactly(string type, DType dtype)
    {
        // Multiples of 1/8 up to ±8 are exact in every one of these types.
        var values = Enumerable.Range(0, 12).Select(i => (i - 6) * 1.125f).ToArray();
        byte[] bytes = dtype switch
        {
            DType.F16 => [.. values.SelectMany(v => BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)v)))],
            DType.BF16 => [.. values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)))],
            _ => [.. values.SelectMany(v => BitConverter.GetBytes((double)v))],
        };
        var save = new TorchSave();
        int s = save.Add(type, bytes);
        var path = Write(save, TorchSave.StateDict([("w", new PyTensor(s, 0, [3, 4], [4, 1])), ("t", new PyTensor(s, 1, [2, 2], [1, 4]))]), 4);

        using var file = TorchCheckpointFile.Open(path);
        Assert.Equal(dtype, file.Get("w").DType);
        Assert.Equal(values, file.ReadFloats("w", 3, 4));
        Assert.Equal(View(values, 1, [2, 2], [1, 4]).Select(v => (float)v), file.ReadFloats("t"));
        var copied = new MemoryStream();
        file.CopyBytes(file.Get("w"), copied);
        Assert.Equal(bytes, copied.ToArray());
    }

    [Fact]
    public void IntegerTensorsKeepTheirBytesAndAreNotReadAsFloats()
    {
        var ids = Enumerable.Range(0, 10).Select(i => (long)i * 1_000_000_007).ToArray();
        var save = new TorchSave();
        int s = save.Add("LongStorage", [.. ids.SelectMany(BitConverter.GetBytes)]);
        int b = save.Add("BoolStorage", [1, 0, 1]);
        var path = Write(save, TorchSave.StateDict([("position_ids", new PyTensor(s, 2, [1, 5], [5, 1])), ("mask", new PyTensor(b, 0, [3], [1]))]));

        using var file = TorchCheckpointFile.Open(path);
        Assert.Equal(DType.I64, file.Get("position_ids").DType);
        Assert.Equal(DType.Bool, file.Get("mask").DType);
        var copied = new MemoryStream();
        file.CopyBytes(file.Get("position_ids"), copied);
        Assert.Equal(ids[2..7].SelectMany(BitConverter.GetBytes), copied.ToArray());
        var e = Assert.Throws<SieveFormatException>(() => file.ReadFloats("position_ids"));
        Assert.Contains("has dtype I64; only F32, F16, BF16 and F64 can be read as floats", e.Message);
    }

    [Fact]
    public void ParametersAndTheStateDictsMetadataAreAccepted()
    {
        var save = new TorchSave();
        int s = save.Add("FloatStorage", F32([1f, 2f, 3f]));
        var path = Write(save, TorchSave.StateDict([("p", new PyTensor(s, 0, [3], [1], Parameter: true))]), 4);
        using var file = TorchCheckpointFile.Open(path);
        Assert.Equal([1f, 2f, 3f], file.ReadFloats("p"));
    }

    public static TheoryData<string, string> Wrappers => new()
    {
        { "state_dict", "" },
        { "model", "" },
        { "model_state_dict", "module." },
        { "state_dict", "module." },
    };

    [Theory]
    [MemberData(nameof(Wrappers))]
    public void TrainingCheckpointsAreUnwrappedAndDataParallelPrefixesDropped(string wrapper, string prefix)
    {
        var save = new TorchSave();
        int s = save.Add("FloatStorage", F32([1f, 2f, 3f, 4f]));
        var stateDict = TorchSave.StateDict([(prefix + "a.weight", new PyTensor(s, 0, [2], [1])), (prefix + "b.bias", new PyTensor(s, 2, [2], [1]))]);
        var root = new PyDict([("epoch", 7), ("optimizer", new PyDict([("lr", 0.1)])), (wrapper, stateDict), ("arch", "vit_tiny")]);
        using var file = TorchCheckpointFile.Open(Write(save, root));
        Assert.Equal(["a.weight", "b.bias"], file.Tensors.Keys);
        Assert.Equal([3f, 4f], file.ReadFloats("b.bias"));
    }

    [Fact]
    public void NestedWrappersAreFollowedAndAPartialPrefixIsKept()
    {
        var save = new TorchSave();
        int s = save.Add("FloatStorage", F32([1f, 2f]));
        var stateDict = TorchSave.StateDict([("module.a", new PyTensor(s, 0, [1], [1])), ("b", new PyTensor(s, 1, [1], [1]))]);
        var root = new PyDict([("model", new PyDict([("state_dict", stateDict)]))]);
        using var file = TorchCheckpointFile.Open(Write(save, root));
        Assert.Equal(["module.a", "b"], file.Tensors.Keys);
    }

    [Fact]
    public void AnArchiveNamedAfterTheFileIsRead()
    {
        // PyTorch before 2.0 named the archive folder after the file ("pytorch_model/data.pkl").
        var save = new TorchSave();
        int s = save.Add("FloatStorage", F32([5f]));
        string path = _temp.File("pytorch_model.bin");
        File.WriteAllBytes(path, save.Build(TorchSave.StateDict([("x", new PyTensor(s, 0, [1], [1]))]), archive: "pytorch_model"));
        using var file = TorchCheckpointFile.Open(path);
        Assert.Equal([5f], file.ReadFloats("x"));
    }

    [Fact]
    public void Zip64ArchivesAreRead()
    {
        // PyTorch writes ZIP64 fields once an archive passes 4 GB; a small archive in that form reads the same.
        var save = new TorchSave();
        int s = save.Add("FloatStorage", F32([1f, 2f, 3f, 4f, 5f, 6f]));
        var entries = save.Entries(TorchSave.StateDict([("w", new PyTensor(s, 1, [2, 2], [1, 2]))]), 4);
        string path = _temp.File("zip64.bin");
        File.WriteAllBytes(path, TorchSave.Zip(entries, zip64: true));
        using var file = TorchCheckpointFile.Open(path);
        Assert.Equal([2f, 4f, 3f, 5f], file.ReadFloats("w"));
    }

    static float[] VitPixels()
    {
        var pixels = new float[3 * TinyModels.VitImage * TinyModels.VitImage];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = MathF.Sin(i * 0.37f);
        return pixels;
    }

    [Theory]
    [InlineData(DType.F32, TorchLayout.PerTensor, 2)]
    [InlineData(DType.BF16, TorchLayout.SharedViews, 4)]
    [InlineData(DType.F16, TorchLayout.SharedViews, 2)]
    public void VitFromPytorchModelBinMatchesSafetensors(DType dtype, TorchLayout layout, int protocol)
    {
        using var ck = TinyModels.Vit(81, dtype);
        var expected = VitModel.Load(ck.Directory).Logits(VitPixels());
        using var folder = new TempFolder();
        TorchCheckpoints.WriteFolder(ck, folder.Path, layout, protocol);

        Assert.Equal(ModelFamily.Vit, ModelFolder.Detect(folder.Path));
        Assert.Equal(expected, VitModel.Load(folder.Path).Logits(VitPixels()));
        Assert.Equal(expected, ((VitModel)ModelFolder.LoadAny(folder.Path)).Logits(VitPixels()));
    }

    [Theory]
    [InlineData(DType.F32, TorchLayout.SharedViews, 4)]
    [InlineData(DType.F16, TorchLayout.PerTensor, 2)]
    public void ClipFromPytorchModelBinMatchesSafetensors(DType dtype, TorchLayout layout, int protocol)
    {
        using var ck = TinyModels.Clip(82, dtype);
        var reference = ClipModel.Load(ck.Directory);
        using var folder = new TempFolder();
        TorchCheckpoints.WriteFolder(ck, folder.Path, layout, protocol);
        var model = ClipModel.Load(folder.Path);

        var pixels = Rand.Uniform(new Random(83), 3 * TinyModels.ClipImage * TinyModels.ClipImage);
        int[] ids = [0, 17, 4, 33, 8, TinyModels.ClipVocab - 1];
        Assert.Equal(reference.Vision.Encode(pixels), model.Vision.Encode(pixels));
        Assert.Equal(reference.Text.Encode(ids), model.Text.Encode(ids));
        Assert.Equal(reference.LogitScale, model.LogitScale);
    }

    [Fact]
    public void ShardedPytorchCheckpointLoadsThroughItsIndex()
    {
        using var ck = TinyModels.Vit(84, DType.F32);
        var expected = VitModel.Load(ck.Directory).Logits(VitPixels());
        using var folder = new TempFolder();
        var names = ck.Order.Select(t => t.Name).ToArray();
        string[] shards = ["pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"];
        var weightMap = new Dictionary<string, string>();
        for (int i = 0; i < 2; i++)
        {
            var part = names.Where((_, k) => k % 2 == i).ToArray();
            var (save, stateDict) = TorchCheckpoints.Build(ck, TorchLayout.PerTensor, only: part);
            save.Save(Path.Combine(folder.Path, shards[i]), stateDict);
            foreach (var name in part) weightMap[name] = shards[i];
        }
        File.WriteAllText(Path.Combine(folder.Path, CheckpointFiles.TorchIndexFile),
            System.Text.Json.JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));
        File.Copy(Path.Combine(ck.Directory, "config.json"), Path.Combine(folder.Path, "config.json"));

        Assert.Equal(expected, VitModel.Load(folder.Path).Logits(VitPixels()));
    }

    [Fact]
    public void TimmPthInAFolderLoadsWhenItIsTheOnlyCheckpoint()
    {
        // timm's released ViT .pth files: the same tensor names as its safetensors, often under "model" (DeiT).
        using var ck = TinyModels.Vit(85, DType.F32);
        var expected = VitModel.Load(ck.Directory).Logits(VitPixels());
        using var folder = new TempFolder();
        var (save, stateDict) = TorchCheckpoints.Build(ck, TorchLayout.PerTensor);
        save.Save(Path.Combine(folder.Path, "vit_tiny_patch16_224-deadbeef.pth"), new PyDict([("model", stateDict)]));
        File.Copy(Path.Combine(ck.Directory, "config.json"), Path.Combine(folder.Path, "config.json"));
        Assert.Equal(expected, VitModel.Load(folder.Path).Logits(VitPixels()));

        save.Save(Path.Combine(folder.Path, "second.pth"), stateDict);
        var e = Assert.Throws<SieveFormatException>(() => VitModel.Load(folder.Path));
        Assert.Contains("2 .pth/.pt files (second.pth, vit_tiny_patch16_224-deadbeef.pth); keep the one to load", e.Message);
    }

    [Fact]
    public void SafetensorsWinOverPytorchWeightsInTheSameFolder()
    {
        using var ck = TinyModels.Vit(86, DType.F32);
        File.WriteAllBytes(Path.Combine(ck.Directory, CheckpointFiles.TorchFile), [1, 2, 3]); // never opened
        using var files = CheckpointFiles.Open(ck.Directory);
        Assert.EndsWith(CheckpointFiles.SingleFile, files.Description);
    }
}
