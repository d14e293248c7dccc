using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// The keys and values a causal self-attention has computed for the tokens it has seen so far, so that each generation
/// step projects only its new tokens and attends to all of them. They are kept per key/value head as attention
/// multiplies them — keys packed for q·kᵀ, values for ·v — and each step packs only its own tokens: repacking the whole
/// cache at every step had made llava-tiny's q·kᵀ run at 63–78 GFLOP/s, as much copying as multiplying.
/// </summary>
internal sealed class KeyValueCache
{
    readonly PackedMatrix[] _keys, _values;

    /// <param name="width">Width of the keys (and of the values): heads × head width.</param>
    /// <param name="heads">Key/value heads.</param>
    public KeyValueCache(int width, int heads)
        : this(width, PerHead(width, heads, PackedMatrix.GrowingColumns), PerHead(width, heads, PackedMatrix.GrowingDepth))
    {
    }

    KeyValueCache(int width, PackedMatrix[] keys, PackedMatrix[] values) => (Width, _keys, _values) = (width, keys, values);

    /// <summary>One empty matrix per head, <paramref name="make"/> given the head width.</summary>
    static PackedMatrix[] PerHead(int width, int heads, Func<int, PackedMatrix> make) =>
        heads > 0 && width > 0 && width % heads == 0
            ? [.. Enumerable.Range(0, heads).Select(_ => make(width / heads))]
            : throw new ArgumentException($"{heads} heads do not divide the width {width}", nameof(heads));

    /// <summary>Width of the keys (and of the values).</summary>
    public int Width { get; }

    /// <summary>Tokens cached.</summary>
    public int Count => _keys[0].N;

    /// <summary>Each head's keys packed for q·kᵀ and values for ·v (<see cref="AttentionHeads.Run"/>'s <c>packed</c>).</summary>
    public (IReadOnlyList<PackedMatrix> Keys, IReadOnlyList<PackedMatrix> Values) Packed => (_keys, _values);

    /// <summary>Appends the k and v of <paramref name="tokens"/> fused [q; k; v] rows (3 · <see cref="Width"/> wide).</summary>
    public void Append(ReadOnlySpan<float> qkv, int tokens) => Append(qkv, tokens, 3 * Width, Width);

    /// <summary>
    /// Appends <paramref name="tokens"/> [k; v] pairs (2 · <see cref="Width"/> wide) that start at <paramref name="offset"/> of rows
    /// <paramref name="stride"/> apart (a grouped-query attention's [q; k; v] rows, whose q is wider than k and v).
    /// </summary>
    public void Append(ReadOnlySpan<float> rows, int tokens, int stride, int offset)
    {
        if (tokens <= 0) return;
        if (rows.Length < (long)(tokens - 1) * stride + offset + 2 * Width)
            throw new ArgumentException($"{rows.Length} floats hold no {tokens} rows of {stride} with k and v at {offset}", nameof(rows));
        int dh = Width / _keys.Length;
        for (int h = 0; h < _keys.Length; h++)
        {
            _keys[h].AppendOutputRows(rows[(offset + h * dh)..], tokens, stride);
            _values[h].AppendInputRows(rows[(offset + Width + h * dh)..], tokens, stride);
        }
    }

    /// <summary>An independent copy (a beam that continues from this one).</summary>
    public KeyValueCache Clone() => new(Width, [.. _keys.Select(k => k.Clone())], [.. _values.Select(v => v.Clone())]);
}
