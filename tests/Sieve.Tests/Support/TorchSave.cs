using System.Buffers.Binary;
using System.Text;

namespace Sieve.Tests.Support;

/// <summary>A Python list.</summary>
public sealed record PyList(params object?[] Items);

/// <summary>A Python tuple.</summary>
public sealed record PyTuple(params object?[] Items);

/// <summary>A Python dict (or, with <paramref name="Ordered"/>, a <c>collections.OrderedDict</c> carrying a state dict's <c>_metadata</c>), items in order.</summary>
public sealed record PyDict(IReadOnlyList<(object? Key, object? Value)> Items, bool Ordered = false);

/// <summary>A tensor: a view of storage <paramref name="Storage"/> (its index in the archive), offset and strides in elements; <paramref name="Parameter"/> wraps it as nn.Parameter.</summary>
public sealed record PyTensor(int Storage, long Offset, long[] Shape, long[] Strides, bool Parameter = false);

/// <summary><c>module.name(*args)</c> as pickle's REDUCE spells it: what a malicious <c>__reduce__</c> writes.</summary>
public sealed record PyCall(string Module, string Name, params object?[] Args);

/// <summary>Opcodes written as they are, for pickles no Python object produces.</summary>
public sealed record PyRaw(byte[] Ops);

/// <summary>
/// Writes <c>torch.save</c> files independently of the library: Python's pickler (protocols 2 and 4, memoising as
/// it does) for the state dict, and the zip layout PyTorch's writer produces — <c>archive/data.pkl</c>,
/// <c>archive/byteorder</c>, <c>archive/data/N</c> per storage, <c>archive/version</c>, every entry stored and its data
/// aligned to 64 bytes by padding in the local header's extra field.
/// </summary>
public sealed class TorchSave
{
    /// <summary>One storage: its torch type (<c>FloatStorage</c>, <c>HalfStorage</c>, …) and raw little-endian bytes.</summary>
    public sealed record Storage(string Type, byte[] Bytes);

    public List<Storage> Storages { get; } = [];

    /// <summary>Adds a storage; returns its index (its key in the archive).</summary>
    public int Add(string type, byte[] bytes)
    {
        Storages.Add(new Storage(type, bytes));
        return Storages.Count - 1;
    }

    public static int ElementSize(string type) => type switch
    {
        "DoubleStorage" or "LongStorage" => 8,
        "FloatStorage" or "IntStorage" => 4,
        "HalfStorage" or "BFloat16Storage" or "ShortStorage" => 2,
        _ => 1,
    };

    /// <summary>The archive's entries, in the order PyTorch writes them; <see cref="Zip"/> makes the file.</summary>
    public List<(string Name, byte[] Bytes)> Entries(object? root, int protocol = 2, string archive = "archive")
    {
        var entries = new List<(string, byte[])>
        {
            ($"{archive}/data.pkl", Pickle(root, protocol)),
            ($"{archive}/byteorder", "little"u8.ToArray()),
        };
        for (int i = 0; i < Storages.Count; i++) entries.Add(($"{archive}/data/{i}", Storages[i].Bytes));
        entries.Add(($"{archive}/version", "3\n"u8.ToArray()));
        return entries;
    }

    /// <summary>The archive's bytes.</summary>
    public byte[] Build(object? root, int protocol = 2, string archive = "archive") => Zip(Entries(root, protocol, archive));

    public string Save(string path, object? root, int protocol = 2)
    {
        File.WriteAllBytes(path, Build(root, protocol));
        return path;
    }

    /// <summary>A state dict of the tensors, each in its own storage, in the order given.</summary>
    public static PyDict StateDict(IEnumerable<(string Name, PyTensor Tensor)> tensors) =>
        new([.. tensors.Select(t => ((object?)t.Name, (object?)t.Tensor))], Ordered: true);

    /// <summary>Row-major strides of <paramref name="shape"/>.</summary>
    public static long[] Contiguous(long[] shape)
    {
        var strides = new long[shape.Length];
        long step = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = step;
            step *= shape[d];
        }
        return strides;
    }

    // ---- pickle ----

    public byte[] Pickle(object? root, int protocol) => new Pickler(this, protocol).Run(root);

    sealed class Pickler(TorchSave save, int protocol)
    {
        readonly MemoryStream _out = new();
        readonly Dictionary<string, int> _memo = [];
        int _next;

        public byte[] Run(object? root)
        {
            Save(root);
            Op((byte)'.');
            var body = _out.ToArray();
            var pickle = new MemoryStream();
            pickle.Write([0x80, (byte)protocol]);
            if (protocol >= 4)
            {
                // One frame around the whole body, as Python's framer writes for a small pickle.
                pickle.WriteByte(0x95);
                pickle.Write(BitConverter.GetBytes((ulong)body.Length));
            }
            pickle.Write(body);
            return pickle.ToArray();
        }

        void Op(params byte[] bytes) => _out.Write(bytes);

        /// <summary>Stores the value on top in the memo, as Python does after each container, string and global.</summary>
        void Memoize(string? key = null)
        {
            int index = _next++;
            if (key != null) _memo[key] = index;
            if (protocol >= 4) Op(0x94);
            else if (index < 256) Op((byte)'q', (byte)index);
            else { Op((byte)'r'); Int32(index); }
        }

        bool Recall(string key)
        {
            if (!_memo.TryGetValue(key, out int index)) return false;
            if (index < 256) Op((byte)'h', (byte)index);
            else { Op((byte)'j'); Int32(index); }
            return true;
        }

        void Int32(int value) => _out.Write(BitConverter.GetBytes(value));

        void Global(string module, string name)
        {
            if (Recall($"global:{module}.{name}")) return;
            if (protocol >= 4)
            {
                Str(module);
                Str(name);
                Op(0x93);
            }
            else
            {
                Op((byte)'c');
                _out.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
            }
            Memoize($"global:{module}.{name}");
        }

        void Str(string s)
        {
            if (Recall("str:" + s)) return;
            var bytes = Encoding.UTF8.GetBytes(s);
            if (protocol >= 4 && bytes.Length < 256) Op(0x8c, (byte)bytes.Length);
            else { Op((byte)'X'); Int32(bytes.Length); }
            _out.Write(bytes);
            Memoize("str:" + s);
        }

        void EmptyOrderedDict()
        {
            Global("collections", "OrderedDict");
            Op((byte)')', (byte)'R');
            Memoize();
        }

        void Save(object? value)
        {
            switch (value)
            {
                case null: Op((byte)'N'); break;
                case bool b: Op(b ? (byte)0x88 : (byte)0x89); break;
                case int i: Long(i); break;
                case long l: Long(l); break;
                case double d:
                    Op((byte)'G');
                    var bits = BitConverter.GetBytes(d);
                    Array.Reverse(bits);
                    _out.Write(bits);
                    break;
                case string s: Str(s); break;
                case PyRaw raw: _out.Write(raw.Ops); break;
                case PyTuple t: Tuple(t.Items); break;
                case PyList list:
                    Op((byte)']');
                    Memoize();
                    if (list.Items.Length > 0)
                    {
                        Op((byte)'(');
                        foreach (var item in list.Items) Save(item);
                        Op((byte)'e');
                    }
                    break;
                case PyDict dict: Dict(dict); break;
                case PyTensor tensor: Tensor(tensor); break;
                case PyCall call:
                    Global(call.Module, call.Name);
                    Tuple(call.Args);
                    Op((byte)'R');
                    Memoize();
                    break;
                default: throw new ArgumentException($"cannot pickle {value.GetType()}");
            }
        }

        void Dict(PyDict dict)
        {
            if (dict.Ordered) EmptyOrderedDict();
            else
            {
                Op((byte)'}');
                Memoize();
            }
            if (dict.Items.Count == 1)
            {
                Save(dict.Items[0].Key);
                Save(dict.Items[0].Value);
                Op((byte)'s');
            }
            else if (dict.Items.Count > 1)
            {
                Op((byte)'(');
                foreach (var (k, v) in dict.Items)
                {
                    Save(k);
                    Save(v);
                }
                Op((byte)'u');
            }
            if (!dict.Ordered) return;
            // state_dict()'s _metadata attribute, restored by BUILD: {'_metadata': OrderedDict({'': {'version': 1}})}.
            Op((byte)'}');
            Memoize();
            Str("_metadata");
            EmptyOrderedDict();
            Str("");
            Op((byte)'}');
            Memoize();
            Str("version");
            Op((byte)'K', 1, (byte)'s', (byte)'s', (byte)'s', (byte)'b');
        }

        /// <summary>_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()), the storage as a persistent id.</summary>
        void Tensor(PyTensor tensor)
        {
            if (tensor.Parameter) Global("torch._utils", "_rebuild_parameter");
            Global("torch._utils", "_rebuild_tensor_v2");
            var storage = save.Storages[tensor.Storage];
            Op((byte)'(');
            Op((byte)'(');
            Str("storage");
            Global("torch", storage.Type);
            Str(tensor.Storage.ToString());
            Str("cpu");
            Long(storage.Bytes.Length / ElementSize(storage.Type));
            Op((byte)'t');
            Memoize();
            Op((byte)'Q');
            Long(tensor.Offset);
            Tuple([.. tensor.Shape.Cast<object?>()]);
            Tuple([.. tensor.Strides.Cast<object?>()]);
            Op(0x89);
            EmptyOrderedDict();
            Op((byte)'t');
            Memoize();
            Op((byte)'R');
            Memoize();
            if (!tensor.Parameter) return;
            Op(0x88);
            EmptyOrderedDict();
            Op(0x87);
            Memoize();
            Op((byte)'R');
            Memoize();
        }

        void Tuple(object?[] items)
        {
            if (items.Length == 0) { Op((byte)')'); return; }
            if (items.Length <= 3)
            {
                foreach (var item in items) Save(item);
                Op((byte)(0x84 + items.Length));
            }
            else
            {
                Op((byte)'(');
                foreach (var item in items) Save(item);
                Op((byte)'t');
            }
            Memoize();
        }

        void Long(long value)
        {
            if (value is >= 0 and < 256) Op((byte)'K', (byte)value);
            else if (value is >= 0 and < 65536) { Op((byte)'M'); _out.Write(BitConverter.GetBytes((ushort)value)); }
            else if (value is >= int.MinValue and <= int.MaxValue) { Op((byte)'J'); Int32((int)value); }
            else
            {
                var bytes = new System.Numerics.BigInteger(value).ToByteArray();
                Op(0x8a, (byte)bytes.Length);
                _out.Write(bytes);
            }
        }
    }

    // ---- zip, as PyTorch's writer lays it out ----

    /// <summary>
    /// The zip of <paramref name="entries"/>; with <paramref name="zip64"/>, every size and offset is given in ZIP64
    /// fields (as PyTorch writes archives past 4 GB) and the directory ends with the ZIP64 end record and locator.
    /// </summary>
    public static byte[] Zip(IReadOnlyList<(string Name, byte[] Bytes)> entries, bool zip64 = false)
    {
        var zip = new MemoryStream();
        var central = new MemoryStream();
        foreach (var (name, bytes) in entries)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            long offset = zip.Length;
            int padding = (int)((64 - (offset + 30 + nameBytes.Length + 4) % 64) % 64);
            uint crc = Crc32(bytes);
            zip.Write(Local(nameBytes, bytes.Length, crc, padding));
            zip.Write(bytes);
            central.Write(Central(nameBytes, bytes.Length, crc, (ulong)offset, zip64));
        }
        long centralStart = zip.Length;
        zip.Write(central.ToArray());
        if (zip64)
        {
            long record = zip.Length;
            var end64 = new byte[56];
            BinaryPrimitives.WriteUInt32LittleEndian(end64, 0x06064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(end64.AsSpan(4), 44);
            BinaryPrimitives.WriteUInt64LittleEndian(end64.AsSpan(24), (ulong)entries.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(end64.AsSpan(32), (ulong)entries.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(end64.AsSpan(40), (ulong)central.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(end64.AsSpan(48), (ulong)centralStart);
            zip.Write(end64);
            var locator = new byte[20];
            BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(locator.AsSpan(8), (ulong)record);
            BinaryPrimitives.WriteUInt32LittleEndian(locator.AsSpan(16), 1);
            zip.Write(locator);
        }
        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), zip64 ? (ushort)0xFFFF : (ushort)entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), zip64 ? (ushort)0xFFFF : (ushort)entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), zip64 ? 0xFFFFFFFF : (uint)central.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), zip64 ? 0xFFFFFFFF : (uint)centralStart);
        zip.Write(end);
        return zip.ToArray();
    }

    static byte[] Local(byte[] name, int size, uint crc, int padding)
    {
        var header = new byte[30 + name.Length + 4 + padding];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 20);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(14), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(18), (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(22), (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(26), (ushort)name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(28), (ushort)(4 + padding));
        name.CopyTo(header, 30);
        // The padding block ("FB", as PyTorch's writer names it) that aligns the data to 64 bytes.
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(30 + name.Length), 0x4246);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(32 + name.Length), (ushort)padding);
        for (int i = 0; i < padding; i++) header[34 + name.Length + i] = (byte)'Z';
        return header;
    }

    static byte[] Central(byte[] name, int size, uint crc, ulong offset, bool zip64)
    {
        var header = new byte[46 + name.Length + (zip64 ? 28 : 0)];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x02014b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), zip64 ? (ushort)45 : (ushort)20);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), zip64 ? (ushort)45 : (ushort)20);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), zip64 ? 0xFFFFFFFF : (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), zip64 ? 0xFFFFFFFF : (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(28), (ushort)name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(30), zip64 ? (ushort)28 : (ushort)0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(42), zip64 ? 0xFFFFFFFF : (uint)offset);
        name.CopyTo(header, 46);
        if (zip64)
        {
            // The ZIP64 extra field: uncompressed size, compressed size, local header offset, in that order.
            var extra = header.AsSpan(46 + name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(extra, 1);
            BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], 24);
            BinaryPrimitives.WriteUInt64LittleEndian(extra[4..], (ulong)size);
            BinaryPrimitives.WriteUInt64LittleEndian(extra[12..], (ulong)size);
            BinaryPrimitives.WriteUInt64LittleEndian(extra[20..], offset);
        }
        return header;
    }

    static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
