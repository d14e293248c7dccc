using System.Collections.Immutable;
using System.Text;

namespace Sieve.Weights;

/// <summary>
/// A PyTorch checkpoint in the zip format <c>torch.save</c> writes (<c>pytorch_model.bin</c>, timm <c>.pth</c>):
/// <c>ARCHIVE/data.pkl</c> describes the state dict, each <c>ARCHIVE/data/KEY</c> holds a storage's raw bytes. The
/// pickle is read by <see cref="TorchPickle"/>, which runs no code; storages are read from the memory-mapped
/// file when a tensor is read (torch.save stores them uncompressed), contiguous tensors without a copy and views
/// with any offset and strides checked against their storage first.
/// </summary>
internal sealed class TorchCheckpointFile : TensorFile
{
    /// <summary>A <c>data.pkl</c> larger than this is refused; a model's is kilobytes to a few megabytes.</summary>
    internal const long MaxPickleLength = 64 << 20;

    /// <summary>Elements gathered per step when reading a view that is not contiguous.</summary>
    const int GatherChunk = 4096;

    readonly MappedFile _file;
    readonly Dictionary<string, long[]> _strides;

    TorchCheckpointFile(string path, MappedFile file, Dictionary<string, TensorInfo> tensors, Dictionary<string, long[]> strides) : base(path, tensors)
    {
        _file = file;
        _strides = strides;
    }

    /// <summary>Maps <paramref name="path"/> read-only and reads its state dict's entries.</summary>
    /// <exception cref="SieveFormatException">
    /// Not a zip-format PyTorch checkpoint (a TorchScript archive or the legacy format is named as such), a pickle
    /// that uses anything beyond plain values and tensors, or a tensor that reads outside its storage.
    /// </exception>
    public static TorchCheckpointFile Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        long length = InputFile.Length(path);
        if (length < 22)
            throw new SieveFormatException($"PyTorch checkpoint {path} is {length} bytes long{(length == 0 ? " (or a pipe or device)" : "")}; too short for a zip archive");
        var file = MappedFile.Open(path, length);
        try
        {
            if (!ZipDirectory.HasZipSignature(file)) throw NotZip(file, path);
            var entries = ZipDirectory.Read(file, path);
            string prefix = ArchivePrefix(entries, path);
            CheckByteOrder(file, entries, prefix, path);
            var pickle = ZipDirectory.ReadAll(file, entries[prefix + "data.pkl"], MaxPickleLength, path);
            var root = TorchPickle.Load(pickle, path, (key, dtype, elements) => Storage(entries, prefix, key, dtype, elements, path));

            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var strides = new Dictionary<string, long[]>(StringComparer.Ordinal);
            foreach (var (name, tensor) in TorchStateDict.Find(root, path))
            {
                var (info, contiguous) = Check(name, tensor, path);
                if (!tensors.TryAdd(name, info)) throw new SieveFormatException($"{path}: the state dict names tensor '{name}' twice");
                if (!contiguous) strides[name] = tensor.Strides;
            }
            return new TorchCheckpointFile(path, file, tensors, strides);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The folder every entry sits in (<c>archive/</c>, or the name the file was saved under), after refusing TorchScript.</summary>
    static string ArchivePrefix(Dictionary<string, ZipEntry> entries, string path)
    {
        var pickles = entries.Keys.Where(n => n.EndsWith("/data.pkl", StringComparison.Ordinal) && n.IndexOf('/') == n.Length - 9).ToList();
        if (entries.Keys.Any(n => n.EndsWith("/constants.pkl", StringComparison.Ordinal) || n.Contains("/code/", StringComparison.Ordinal)))
            throw new SieveFormatException(
                $"{path} is a TorchScript archive (torch.jit.save: a program with its weights), which Sieve does not load; " +
                "use the model's Hugging Face version (e.g. openai/clip-vit-base-patch16 for OpenAI's ViT-B-16.pt) instead");
        if (pickles.Count != 1)
            throw new SieveFormatException(
                $"{path}: a zip archive with {(pickles.Count == 0 ? "no" : pickles.Count.ToString())} ARCHIVE/data.pkl entries; expected the one torch.save writes");
        return pickles[0][..^"data.pkl".Length];
    }

    static void CheckByteOrder(MappedFile file, Dictionary<string, ZipEntry> entries, string prefix, string path)
    {
        // Written since PyTorch 1.10; older archives are little-endian.
        if (!entries.TryGetValue(prefix + "byteorder", out var entry)) return;
        string order = Encoding.ASCII.GetString(ZipDirectory.ReadAll(file, entry, 16, path)).Trim();
        if (order != "little")
            throw new SieveFormatException($"{path}: storages are in '{order}' byte order; Sieve reads little-endian checkpoints only");
    }

    static TorchStorage Storage(Dictionary<string, ZipEntry> entries, string prefix, string key, DType dtype, long elements, string path)
    {
        if (!entries.TryGetValue($"{prefix}data/{key}", out var entry))
            throw new SieveFormatException($"{path}: data.pkl refers to storage '{key}', which the archive does not hold (no {prefix}data/{key})");
        if (entry.Method != ZipEntry.Stored)
            throw new SieveFormatException($"{path}: storage '{key}' is compressed in the archive; torch.save stores storages uncompressed, and Sieve reads only those");
        if (elements > entry.Size / dtype.ElementSize())
            throw new SieveFormatException(
                $"{path}: storage '{key}' declares {elements} elements of {dtype.ToSafetensorsName()}, {(decimal)elements * dtype.ElementSize()} bytes; its entry holds {entry.Size}");
        return new TorchStorage(key, dtype, elements, entry);
    }

    /// <summary>Checks a view against its storage: every element it reads lies inside.</summary>
    static (TensorInfo Info, bool Contiguous) Check(string name, TorchTensor tensor, string path)
    {
        string Where() => $"tensor '{name}' in {path}";
        if (tensor.Shape.Length != tensor.Strides.Length)
            throw new SieveFormatException($"{Where()} has {tensor.Shape.Length} sizes and {tensor.Strides.Length} strides");
        if (tensor.Shape.Any(size => size > int.MaxValue))
            throw new SieveFormatException($"{Where()} has a dimension of more than {int.MaxValue} elements");
        int size = tensor.DType.ElementSize();
        var storage = tensor.Storage;
        long capacity = storage.Elements * storage.DType.ElementSize() / size;
        long count = 1;
        Int128 last = tensor.Offset;
        bool contiguous = true;
        long expectedStride = 1;
        for (int d = tensor.Shape.Length - 1; d >= 0; d--)
        {
            long extent = tensor.Shape[d];
            count = extent == 0 || count == 0 ? 0 : count <= long.MaxValue / extent ? count * extent : -1;
            if (count < 0) throw new SieveFormatException($"{Where()} has more elements than a 64-bit count holds");
            if (extent > 0) last += (Int128)(extent - 1) * tensor.Strides[d];
            if (extent != 1 && tensor.Strides[d] != expectedStride) contiguous = false;
            expectedStride = extent <= long.MaxValue / Math.Max(expectedStride, 1) ? expectedStride * extent : long.MaxValue;
        }
        if (tensor.Offset < 0 || count > 0 && last >= capacity)
            throw new SieveFormatException(
                $"{Where()} reads elements {tensor.Offset} to {last} of storage '{storage.Key}', which holds {capacity} elements of {tensor.DType.ToSafetensorsName()}");
        ImmutableArray<int> shape = [.. tensor.Shape.Select(s => (int)s)];
        long offset = storage.Entry.DataOffset + (count == 0 ? 0 : tensor.Offset * size);
        return (new TensorInfo(name, tensor.DType, shape, offset, count), contiguous || count == 0);
    }

    /// <inheritdoc/>
    protected override void Read(TensorInfo info, Span<float> destination)
    {
        if (!_strides.TryGetValue(info.Name, out var strides))
        {
            TensorBytes.ToSingle(_file, info.Offset, info.DType, destination);
            return;
        }
        var view = new ViewCursor(info, strides);
        Span<byte> chunk = stackalloc byte[GatherChunk * 8];
        for (int done = 0; done < destination.Length;)
        {
            int count = Gather(info, view, chunk);
            FloatConversion.ToSingle(info.DType, chunk[..(count * info.DType.ElementSize())], destination.Slice(done, count));
            done += count;
        }
    }

    /// <inheritdoc/>
    public override void CopyBytes(TensorInfo info, Stream destination)
    {
        if (!_strides.TryGetValue(info.Name, out var strides))
        {
            TensorBytes.Copy(_file, info.Offset, info.ByteLength, destination);
            return;
        }
        var view = new ViewCursor(info, strides);
        Span<byte> chunk = stackalloc byte[GatherChunk * 8];
        for (long done = 0; done < info.ElementCount;)
        {
            int count = Gather(info, view, chunk);
            destination.Write(chunk[..(count * info.DType.ElementSize())]);
            done += count;
        }
    }

    /// <summary>Where a walk over a view's elements in row-major order stands.</summary>
    sealed class ViewCursor(TensorInfo info, long[] strides)
    {
        public readonly long[] Strides = strides, Index = new long[info.Shape.Length];
        public long Source, Remaining = info.ElementCount; // Source: the current element, in elements from the first
    }

    /// <summary>Copies the view's next elements (at most <see cref="GatherChunk"/>) out of their places into <paramref name="chunk"/>; returns how many.</summary>
    int Gather(TensorInfo info, ViewCursor view, Span<byte> chunk)
    {
        int size = info.DType.ElementSize(), count = (int)Math.Min(GatherChunk, view.Remaining);
        for (int n = 0; n < count; n++)
        {
            _file.Span(info.Offset + view.Source * size, size).CopyTo(chunk.Slice(n * size, size));
            for (int d = info.Shape.Length - 1; d >= 0; d--)
            {
                view.Source += view.Strides[d];
                if (++view.Index[d] < info.Shape[d]) break;
                view.Source -= view.Strides[d] * view.Index[d];
                view.Index[d] = 0;
            }
        }
        view.Remaining -= count;
        return count;
    }

    /// <summary>What a file that is not a zip archive is: the legacy torch.save format is named, with what to do.</summary>
    static SieveFormatException NotZip(MappedFile file, string path)
    {
        var start = file.Span(0, 2);
        if (start[0] == 0x80 && start[1] is >= 2 and <= 5)
            return new SieveFormatException(
                $"{path} is a PyTorch checkpoint in the legacy format (a bare pickle, before PyTorch 1.6), which Sieve does not read; " +
                "re-save it with a current PyTorch (torch.save writes the zip format), or use a safetensors copy");
        return new SieveFormatException($"{path} is not a PyTorch checkpoint: torch.save writes a zip archive, and this file does not start like one");
    }

    /// <inheritdoc/>
    public override void Dispose() => _file.Dispose();
}
