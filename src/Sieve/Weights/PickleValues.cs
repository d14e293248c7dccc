namespace Sieve.Weights;

// The values the restricted unpickler (TorchPickle) builds. Besides these: null (None), bool, long, double,
// string, byte[] and List<object?> (a list).

/// <summary>A Python tuple.</summary>
internal sealed record PickleTuple(object?[] Items);

/// <summary>A Python dict or <c>collections.OrderedDict</c>, its items in insertion order (a key set twice keeps its first place and its last value).</summary>
internal sealed class PickleDict
{
    readonly List<object?> _keys = [];
    readonly Dictionary<object, int> _index = [];
    readonly List<object?> _values = [];

    /// <summary>Number of items.</summary>
    public int Count => _keys.Count;

    /// <summary>The items in insertion order.</summary>
    public IEnumerable<(object? Key, object? Value)> Items => _keys.Select((k, i) => (k, _values[i]));

    /// <summary>Sets <paramref name="key"/>, which the caller has checked to be hashable (None, a number, a string, bytes or a tuple of those).</summary>
    public void Set(object? key, object? value)
    {
        // Tuples and bytes are keyed by their text, kept apart from string keys by a leading NUL.
        object slot = key is PickleTuple or byte[] ? "\0" + Describe(key, 0) : key ?? DBNull.Value;
        if (_index.TryGetValue(slot, out int at)) _values[at] = value;
        else
        {
            _index[slot] = _keys.Count;
            _keys.Add(key);
            _values.Add(value);
        }
    }

    /// <summary>The value at the string key <paramref name="key"/>, or null.</summary>
    public object? Get(string key) => _index.TryGetValue(key, out int at) ? _values[at] : null;

    /// <summary>A short text for a value, as errors quote it: strings quoted, containers by kind, tuples three levels deep at most.</summary>
    public static string Describe(object? value, int depth = 0) => value switch
    {
        null => "None",
        string s => $"'{(s.Length > 80 ? s[..80] + "…" : s)}'",
        bool b => b ? "True" : "False",
        long or double => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
        byte[] bytes => $"bytes[{bytes.Length}]",
        PickleTuple when depth >= 3 => "(…)",
        PickleTuple t => $"({string.Join(", ", t.Items.Take(8).Select(item => Describe(item, depth + 1)))}{(t.Items.Length > 8 ? ", …" : "")})",
        _ => Kind(value),
    };

    /// <summary>What kind of value <paramref name="value"/> is, in Python's words.</summary>
    public static string Kind(object? value) => value switch
    {
        null => "None",
        bool => "a bool",
        long => "an int",
        double => "a float",
        string => "a str",
        byte[] => "bytes",
        List<object?> => "a list",
        PickleTuple => "a tuple",
        PickleDict => "a dict",
        PickleGlobal g => $"`{g}`",
        TorchStorage => "a storage",
        TorchTensor => "a tensor",
        _ => value.GetType().Name,
    };
}

/// <summary>A Python global the unpickler allows (a constructor, rebuild function, storage type or dtype), by its module and name.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A storage of a PyTorch checkpoint: the zip entry <c>data/KEY</c>, holding <see cref="Elements"/> elements of <see cref="DType"/>.</summary>
/// <param name="Key">The storage's key in the archive.</param>
/// <param name="DType">The element type of the storage (U8 for an untyped one).</param>
/// <param name="Elements">Elements it holds; checked to fit in <see cref="Entry"/>.</param>
/// <param name="Entry">Its zip entry, stored uncompressed.</param>
internal sealed record TorchStorage(string Key, DType DType, long Elements, ZipEntry Entry);

/// <summary>
/// A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a view of <see cref="Storage"/> starting
/// <see cref="Offset"/> elements in, with a size and a stride (in elements) per dimension. Not yet checked against the storage.
/// </summary>
internal sealed record TorchTensor(TorchStorage Storage, DType DType, long Offset, long[] Shape, long[] Strides);
