using Sieve.Weights;

namespace Sieve.Tests.Support;

/// <summary>How <see cref="TorchCheckpoints.Build"/> lays a checkpoint's tensors out in storages.</summary>
public enum TorchLayout
{
    /// <summary>One storage per tensor, contiguous: what <c>torch.save(model.state_dict())</c> writes.</summary>
    PerTensor,
    /// <summary>
    /// Every tensor in one shared storage at its own offset, and each matrix stored transposed (so its view has
    /// swapped strides): what saving views of one flat buffer writes.
    /// </summary>
    SharedViews,
}

/// <summary>Turns a generated checkpoint (<see cref="TinyCheckpoint"/>) into <c>torch.save</c> archives with <see cref="TorchSave"/>.</summary>
public static class TorchCheckpoints
{
    /// <summary>The state dict of the checkpoint's tensors (names with <paramref name="prefix"/>) and the writer holding their storages.</summary>
    public static (TorchSave Save, PyDict StateDict) Build(TinyCheckpoint ck, TorchLayout layout, string prefix = "", IEnumerable<string>? only = null)
    {
        var save = new TorchSave();
        string type = StorageType(ck.DType);
        var names = only?.ToHashSet();
        var tensors = new List<(string, PyTensor)>();
        if (layout == TorchLayout.PerTensor)
        {
            foreach (var (name, shape) in ck.Order.Where(t => names?.Contains(t.Name) ?? true))
            {
                long[] dims = [.. shape.Select(s => (long)s)];
                tensors.Add((prefix + name, new PyTensor(save.Add(type, Bytes(ck.Stored[name], ck.DType)), 0, dims, TorchSave.Contiguous(dims))));
            }
            return (save, TorchSave.StateDict(tensors));
        }
        var flat = new List<float>();
        foreach (var (name, shape) in ck.Order.Where(t => names?.Contains(t.Name) ?? true))
        {
            long[] dims = [.. shape.Select(s => (long)s)];
            var values = ck.Stored[name];
            long offset = flat.Count + 3; // a gap before each tensor, so offsets matter
            flat.AddRange([0f, 0f, 0f]);
            if (shape.Length == 2)
            {
                // Stored column by column: element [i, j] sits at offset + j·rows + i.
                int rows = shape[0], cols = shape[1];
                for (int j = 0; j < cols; j++)
                    for (int i = 0; i < rows; i++) flat.Add(values[i * cols + j]);
                tensors.Add((prefix + name, new PyTensor(0, offset, dims, [1, rows])));
            }
            else
            {
                flat.AddRange(values);
                tensors.Add((prefix + name, new PyTensor(0, offset, dims, TorchSave.Contiguous(dims))));
            }
        }
        save.Add(type, Bytes([.. flat], ck.DType));
        return (save, TorchSave.StateDict(tensors));
    }

    /// <summary>Writes the checkpoint as <c>pytorch_model.bin</c> into <paramref name="directory"/> with the checkpoint's config.json.</summary>
    public static string WriteFolder(TinyCheckpoint ck, string directory, TorchLayout layout, int protocol = 2)
    {
        var (save, stateDict) = Build(ck, layout);
        save.Save(Path.Combine(directory, CheckpointFiles.TorchFile), stateDict, protocol);
        File.Copy(Path.Combine(ck.Directory, "config.json"), Path.Combine(directory, "config.json"));
        return directory;
    }

    public static string StorageType(DType dtype) => dtype switch
    {
        DType.F32 => "FloatStorage",
        DType.F16 => "HalfStorage",
        DType.BF16 => "BFloat16Storage",
        _ => throw new ArgumentException($"no test storage for {dtype}"),
    };

    /// <summary>Little-endian bytes of values already representable in <paramref name="dtype"/>.</summary>
    public static byte[] Bytes(float[] values, DType dtype) => dtype switch
    {
        DType.F32 => [.. values.SelectMany(BitConverter.GetBytes)],
        DType.F16 => [.. values.SelectMany(v => BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)v)))],
        DType.BF16 => [.. values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)))],
        _ => throw new ArgumentException($"no test bytes for {dtype}"),
    };
}
