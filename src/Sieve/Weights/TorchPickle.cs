using System.Buffers.Binary;
using System.Text;

namespace Sieve.Weights;

/// <summary>
/// A restricted unpickler for the <c>data.pkl</c> of a <c>torch.save</c> archive (pickle protocols 2–5). It runs
/// no code: it understands the opcodes that build plain values and containers, and a fixed list of globals —
/// <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c> / <c>_v3</c> / <c>_rebuild_parameter</c>,
/// the storage types and dtypes — whose effect it knows and carries out itself. Any other global or opcode
/// is refused with an error naming it, before anything of it is used.
/// </summary>
/// <remarks>
/// The machine is a loop over the bytes with an explicit stack, so nesting costs no recursion; every length is
/// checked against the bytes left, integers wider than 64 bits are refused, and the number of containers built is
/// capped, so memory stays within a small multiple of the pickle's size.
/// </remarks>
internal sealed class TorchPickle
{
    /// <summary>Containers (lists, tuples, dicts) one pickle may build; a state dict needs about six per tensor.</summary>
    internal const int MaxContainers = 1_000_000;

    /// <summary>Finds the storage a persistent id names: key, element type and element count, as the pickle gives them.</summary>
    public delegate TorchStorage StorageResolver(string key, DType dtype, long elements);

    static readonly Dictionary<string, DType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = DType.F32, ["DoubleStorage"] = DType.F64, ["HalfStorage"] = DType.F16, ["BFloat16Storage"] = DType.BF16,
        ["LongStorage"] = DType.I64, ["IntStorage"] = DType.I32, ["ShortStorage"] = DType.I16, ["CharStorage"] = DType.I8,
        ["ByteStorage"] = DType.U8, ["BoolStorage"] = DType.Bool, ["UntypedStorage"] = DType.U8,
    };

    static readonly Dictionary<string, DType> DTypes = new(StringComparer.Ordinal)
    {
        ["float32"] = DType.F32, ["float"] = DType.F32, ["float64"] = DType.F64, ["double"] = DType.F64,
        ["float16"] = DType.F16, ["half"] = DType.F16, ["bfloat16"] = DType.BF16,
        ["int64"] = DType.I64, ["long"] = DType.I64, ["int32"] = DType.I32, ["int"] = DType.I32,
        ["int16"] = DType.I16, ["short"] = DType.I16, ["int8"] = DType.I8, ["uint8"] = DType.U8, ["bool"] = DType.Bool,
    };

    static readonly PickleGlobal OrderedDict = new("collections", "OrderedDict");
    static readonly PickleGlobal RebuildTensor = new("torch._utils", "_rebuild_tensor_v2");
    static readonly PickleGlobal RebuildTensorV3 = new("torch._utils", "_rebuild_tensor_v3");
    static readonly PickleGlobal RebuildParameter = new("torch._utils", "_rebuild_parameter");

    static readonly UTF8Encoding Utf8 = new(false, throwOnInvalidBytes: true);

    readonly byte[] _pickle;
    readonly string _source;
    readonly StorageResolver _storage;
    readonly List<object?> _stack = [];
    readonly Stack<int> _marks = new();
    readonly Dictionary<long, object?> _memo = [];
    int _at, _containers;

    TorchPickle(byte[] pickle, string source, StorageResolver storage)
    {
        _pickle = pickle;
        _source = source;
        _storage = storage;
    }

    /// <summary>The value <paramref name="pickle"/> holds, its storages found through <paramref name="storage"/>.</summary>
    /// <param name="pickle">The bytes of <c>data.pkl</c>.</param>
    /// <param name="source">The checkpoint, for messages.</param>
    /// <param name="storage">Resolves persistent ids to the archive's storages.</param>
    /// <exception cref="SieveFormatException">The pickle is malformed, or uses a global or opcode outside the allowed set.</exception>
    public static object? Load(byte[] pickle, string source, StorageResolver storage) => new TorchPickle(pickle, source, storage).Run();

    object? Run()
    {
        while (true)
        {
            int position = _at;
            byte op = Byte();
            switch (op)
            {
                case 0x80: // PROTO
                    int protocol = Byte();
                    if (protocol is < 2 or > 5) throw Malformed(position, $"pickle protocol {protocol}; expected 2 to 5");
                    break;
                case 0x95: Bytes(8); break; // FRAME: a length hint only
                case (byte)'.': // STOP
                    if (_stack.Count != 1 || _marks.Count != 0) throw Malformed(position, $"STOP with {_stack.Count} values on the stack; expected one");
                    return _stack[0];
                case (byte)'(': _marks.Push(_stack.Count); break; // MARK
                case (byte)'0': Pop(position); break; // POP
                case (byte)'1': PopMark(position); break; // POP_MARK
                case (byte)'2': Push(Peek(position)); break; // DUP
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4))); break; // BININT
                case (byte)'K': Push((long)Byte()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))); break; // BININT2
                case 0x8a: Push(Long(position, Byte())); break; // LONG1
                case 0x8b: Push(Long(position, BinaryPrimitives.ReadInt32LittleEndian(Bytes(4)))); break; // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8))); break; // BINFLOAT
                case 0x8c: Push(Text(position, Byte())); break; // SHORT_BINUNICODE
                case (byte)'X': Push(Text(position, BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))); break; // BINUNICODE
                case 0x8d: Push(Text(position, BinaryPrimitives.ReadInt64LittleEndian(Bytes(8)))); break; // BINUNICODE8
                case (byte)'U': Push(Text(position, Byte())); break; // SHORT_BINSTRING
                case (byte)'T': Push(Text(position, BinaryPrimitives.ReadInt32LittleEndian(Bytes(4)))); break; // BINSTRING
                case (byte)'C': Push(Bytes(Byte()).ToArray()); break; // SHORT_BINBYTES
                case (byte)'B': Push(Bytes(Length(position, BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))).ToArray()); break; // BINBYTES
                case 0x8e or 0x96: Push(Bytes(Length(position, BinaryPrimitives.ReadInt64LittleEndian(Bytes(8)))).ToArray()); break; // BINBYTES8, BYTEARRAY8
                case (byte)')': Push(Container(position, new PickleTuple([]))); break; // EMPTY_TUPLE
                case 0x85 or 0x86 or 0x87: Push(Container(position, new PickleTuple(PopN(position, op - 0x84)))); break; // TUPLE1..3
                case (byte)'t': Push(Container(position, new PickleTuple(PopMark(position)))); break; // TUPLE
                case (byte)']': Push(Container(position, new List<object?>())); break; // EMPTY_LIST
                case (byte)'}': Push(Container(position, new PickleDict())); break; // EMPTY_DICT
                case (byte)'a': Append(position, [Pop(position)]); break; // APPEND
                case (byte)'e': Append(position, PopMark(position)); break; // APPENDS
                case (byte)'s': SetItems(position, PopN(position, 2)); break; // SETITEM
                case (byte)'u': SetItems(position, PopMark(position)); break; // SETITEMS
                case (byte)'q': _memo[Byte()] = Peek(position); break; // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))] = Peek(position); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(position); break; // MEMOIZE
                case (byte)'h': Push(Memo(position, Byte())); break; // BINGET
                case (byte)'j': Push(Memo(position, BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))); break; // LONG_BINGET
                case (byte)'c': Push(Global(Line(position), Line(position))); break; // GLOBAL
                case 0x93: // STACK_GLOBAL
                    var name = Pop(position);
                    var module = Pop(position);
                    if (module is not string m || name is not string n) throw Malformed(position, "STACK_GLOBAL needs a module and a name (two strings)");
                    Push(Global(m, n));
                    break;
                case (byte)'Q': Push(Storage(position, Pop(position))); break; // BINPERSID
                case (byte)'R': // REDUCE
                    var args = Pop(position);
                    Push(Reduce(position, Pop(position), args));
                    break;
                case (byte)'b': // BUILD
                    var state = Pop(position);
                    Build(position, Peek(position), state);
                    break;
                default:
                    throw new SieveFormatException(
                        $"refusing to load {_source}: data.pkl uses the pickle opcode {OpcodeName(op)} at byte {position}, which a state dict does not need");
            }
        }
    }

    object? Global(string module, string name)
    {
        if (module == "torch" && (StorageTypes.ContainsKey(name) || DTypes.ContainsKey(name))
            || module == "torch.storage" && name == "UntypedStorage")
            return new PickleGlobal(module, name);
        var global = new PickleGlobal(module, name);
        if (global == OrderedDict || global == RebuildTensor || global == RebuildTensorV3 || global == RebuildParameter) return global;
        throw new SieveFormatException(
            $"refusing to load {_source}: the pickle calls `{Printable(module)}.{Printable(name)}`; Sieve never runs code from a checkpoint and reads only tensors, storages and plain values");
    }

    /// <summary>Carries out a call to one of the allowed globals.</summary>
    object? Reduce(int position, object? callable, object? args)
    {
        if (args is not PickleTuple { Items: var a })
            throw Malformed(position, $"REDUCE needs an argument tuple, found {PickleDict.Kind(args)}");
        var function = callable as PickleGlobal;
        if (function == OrderedDict)
        {
            var dict = Container(position, new PickleDict());
            if (a.Length == 1 && a[0] is List<object?> pairs)
                foreach (var pair in pairs)
                {
                    if (pair is not (PickleTuple { Items.Length: 2 } or List<object?> { Count: 2 }))
                        throw Malformed(position, "OrderedDict's items must be (key, value) pairs");
                    var kv = pair is PickleTuple t ? t.Items : ((List<object?>)pair).ToArray();
                    dict.Set(Key(position, kv[0]), kv[1]);
                }
            else if (a.Length != 0) throw Malformed(position, "OrderedDict takes no arguments or a list of pairs");
            return dict;
        }
        if (function == RebuildTensor || function == RebuildTensorV3)
        {
            bool v3 = function == RebuildTensorV3;
            if (a.Length < (v3 ? 7 : 6) || a.Length > (v3 ? 8 : 7) || a[0] is not TorchStorage storage || a[1] is not long offset)
                throw Malformed(position, $"{callable} needs (storage, offset, size, stride, requires_grad, hooks{(v3 ? ", dtype" : "")}[, metadata])");
            var dtype = storage.DType;
            if (v3)
            {
                if (a[6] is not PickleGlobal { Module: "torch" } d || !DTypes.TryGetValue(d.Name, out dtype))
                    throw Malformed(position, $"{callable}'s dtype is {PickleDict.Kind(a[6])}, not a torch dtype");
                if (storage.DType != DType.U8)
                    throw Malformed(position, $"{callable} needs an untyped storage; storage '{storage.Key}' is typed {storage.DType.ToSafetensorsName()}");
            }
            return new TorchTensor(storage, dtype, offset, Sizes(position, a[2], "size"), Sizes(position, a[3], "stride"));
        }
        if (function == RebuildParameter)
        {
            if (a.Length != 3 || a[0] is not TorchTensor tensor)
                throw Malformed(position, $"{callable} needs (tensor, requires_grad, hooks)");
            return tensor;
        }
        throw Malformed(position, $"REDUCE calls {PickleDict.Kind(callable)}, which is not a function Sieve knows");
    }

    /// <summary>BUILD sets attributes; only an <c>OrderedDict</c>'s (a state dict's <c>_metadata</c>) occur, and none is needed.</summary>
    void Build(int position, object? target, object? state)
    {
        if (target is PickleDict && state is null or PickleDict or PickleTuple) return;
        throw Malformed(position, $"BUILD sets the state of {PickleDict.Kind(target)}; only an OrderedDict's attributes are expected");
    }

    /// <summary>A persistent id <c>('storage', storage_type, key, location, numel)</c>.</summary>
    TorchStorage Storage(int position, object? id)
    {
        if (id is not PickleTuple { Items: ["storage", PickleGlobal type, var key, string, long elements] }
            || key is not (string or long)
            || !(type.Module is "torch" or "torch.storage") || !StorageTypes.TryGetValue(type.Name, out var dtype))
            throw Malformed(position, $"persistent id {PickleDict.Describe(id)}; expected ('storage', torch.<Type>Storage, key, location, numel)");
        if (elements < 0) throw Malformed(position, $"storage '{key}' declares {elements} elements");
        return _storage(Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture)!, dtype, elements);
    }

    long[] Sizes(int position, object? value, string what)
    {
        if (value is not PickleTuple { Items: var items } || items.Length > 64 || items.Any(i => i is not long n || n < 0))
            throw Malformed(position, $"a tensor's {what} is {PickleDict.Describe(value)}; expected a tuple of at most 64 non-negative ints");
        return [.. items.Cast<long>()];
    }

    void Append(int position, object?[] items)
    {
        if (Peek(position) is not List<object?> list) throw Malformed(position, $"APPEND to {PickleDict.Kind(Peek(position))}, not a list");
        list.AddRange(items);
    }

    void SetItems(int position, object?[] items)
    {
        if (Peek(position) is not PickleDict dict) throw Malformed(position, $"SETITEM on {PickleDict.Kind(Peek(position))}, not a dict");
        if (items.Length % 2 != 0) throw Malformed(position, "SETITEMS with a key but no value");
        for (int i = 0; i < items.Length; i += 2) dict.Set(Key(position, items[i]), items[i + 1]);
    }

    object? Key(int position, object? key) =>
        key is null or bool or long or double or string or byte[] or PickleTuple ? key : throw Malformed(position, $"{PickleDict.Kind(key)} used as a dict key");

    T Container<T>(int position, T value)
    {
        if (++_containers > MaxContainers)
            throw Malformed(position, $"more than {MaxContainers:N0} lists, tuples and dicts; far more than a state dict holds");
        return value;
    }

    object? Memo(int position, long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Malformed(position, $"memo entry {index} is read before it is written");

    long Long(int position, long length)
    {
        if (length is < 0 or > 8) throw Malformed(position, $"an integer of {length} bytes; at most 8 are supported");
        var bytes = Bytes((int)length);
        long value = length > 0 && (bytes[^1] & 0x80) != 0 ? -1 : 0;
        for (int i = bytes.Length - 1; i >= 0; i--) value = value << 8 | bytes[i];
        return value;
    }

    string Text(int position, long length)
    {
        var bytes = Bytes(Length(position, length));
        try { return Utf8.GetString(bytes); }
        catch (DecoderFallbackException) { throw Malformed(position, "a string that is not UTF-8"); }
    }

    /// <summary>A newline-terminated line (GLOBAL's module and name), at most 256 bytes of printable ASCII.</summary>
    string Line(int position)
    {
        int end = Array.IndexOf(_pickle, (byte)'\n', _at, Math.Min(257, _pickle.Length - _at));
        if (end < 0) throw Malformed(position, "GLOBAL without a newline-terminated module and name");
        string line = Encoding.Latin1.GetString(_pickle, _at, end - _at);
        _at = end + 1;
        return line;
    }

    int Length(int position, long length) =>
        length >= 0 && length <= _pickle.Length - _at ? (int)length : throw Malformed(position, $"a length of {length} bytes, beyond the {_pickle.Length - _at} left");

    ReadOnlySpan<byte> Bytes(int count)
    {
        if (count > _pickle.Length - _at) throw Malformed(_at, "the pickle ends in the middle of an opcode (cut short?)");
        var span = _pickle.AsSpan(_at, count);
        _at += count;
        return span;
    }

    byte Byte() => Bytes(1)[0];

    void Push(object? value) => _stack.Add(value);

    object? Peek(int position)
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        return _stack.Count > floor ? _stack[^1] : throw Malformed(position, "an opcode needs a value and the stack is empty");
    }

    object? Pop(int position)
    {
        var value = Peek(position);
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    object?[] PopN(int position, int count)
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count - floor < count) throw Malformed(position, $"an opcode needs {count} values and the stack holds {_stack.Count - floor}");
        var items = _stack.GetRange(_stack.Count - count, count).ToArray();
        _stack.RemoveRange(_stack.Count - count, count);
        return items;
    }

    object?[] PopMark(int position)
    {
        if (_marks.Count == 0) throw Malformed(position, "an opcode needs a MARK and there is none");
        int mark = _marks.Pop();
        var items = _stack.GetRange(mark, _stack.Count - mark).ToArray();
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    SieveFormatException Malformed(int position, string problem) => new($"{_source}: data.pkl is malformed at byte {position}: {problem}");

    /// <summary>A name from the file as a message may show it: control characters and the like escaped.</summary>
    static string Printable(string text) =>
        string.Concat(text.Take(120).Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\x{(int)c:x2}"));

    static string OpcodeName(byte op) => op switch
    {
        (byte)'i' => "INST", (byte)'o' => "OBJ", 0x81 => "NEWOBJ", 0x92 => "NEWOBJ_EX", (byte)'P' => "PERSID",
        0x82 or 0x83 or 0x84 => "EXT", (byte)'I' => "INT", (byte)'L' => "LONG", (byte)'S' => "STRING", (byte)'V' => "UNICODE",
        (byte)'F' => "FLOAT", (byte)'g' => "GET", (byte)'p' => "PUT", (byte)'l' => "LIST", (byte)'d' => "DICT",
        0x8f => "EMPTY_SET", 0x90 => "ADDITEMS", 0x91 => "FROZENSET", 0x97 => "NEXT_BUFFER", 0x98 => "READONLY_BUFFER",
        _ => "unknown",
    } + (op is >= 0x21 and <= 0x7e ? $" ('{(char)op}')" : $" (0x{op:x2})");
}
