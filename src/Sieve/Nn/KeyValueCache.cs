namespace Sieve.Nn;

/// <summary>
/// The keys and values a causal self-attention has computed for the tokens it has seen so far, [Count, 2D] rows
/// (k then v), so that each generation step projects only its new tokens and attends to all of them.
/// </summary>
internal sealed class KeyValueCache
{
    float[] _rows;

    /// <param name="width">Model width D.</param>
    /// <param name="capacity">Tokens to make room for at once (it grows past them when needed).</param>
    public KeyValueCache(int width, int capacity = 16)
    {
        Width = width;
        _rows = new float[Math.Max(1, capacity) * 2 * width];
    }

    /// <summary>Model width D.</summary>
    public int Width { get; }

    /// <summary>Tokens cached.</summary>
    public int Count { get; private set; }

    /// <summary>The rows, [Count, 2D] at the start (the array may be longer).</summary>
    public float[] Rows => _rows;

    /// <summary>Appends the k and v of <paramref name="tokens"/> fused [q; k; v] rows (3D wide).</summary>
    public void Append(ReadOnlySpan<float> qkv, int tokens) => Append(qkv, tokens, 3 * Width, Width);

    /// <summary>
    /// Appends <paramref name="tokens"/> [k; v] pairs (2D wide) that start at <paramref name="offset"/> of rows
    /// <paramref name="stride"/> apart (a grouped-query attention's [q; k; v] rows, whose q is wider than k and v).
    /// </summary>
    public void Append(ReadOnlySpan<float> rows, int tokens, int stride, int offset)
    {
        int d = Width, needed = (Count + tokens) * 2 * d;
        if (needed > _rows.Length) Grow(needed);
        for (int i = 0; i < tokens; i++)
            rows.Slice(i * stride + offset, 2 * d).CopyTo(_rows.AsSpan((Count + i) * 2 * d, 2 * d));
        Count += tokens;
    }

    // Half as much again as needed, at least double: a prompt's prefill fills the cache exactly, and growing again at the
    // first decoded token copied every layer's cache into a fresh array twice its size (llava-tiny's 28 layers of 602
    // tokens: 100 MB of new pages an answer; the profile showed the appends at 5 % of it). Uninitialised: only the first
    // Count rows are ever read, and zeroing would touch every page.
    void Grow(int needed)
    {
        var grown = GC.AllocateUninitializedArray<float>(Math.Max(needed + needed / 2, 2 * _rows.Length));
        _rows.AsSpan(0, Count * 2 * Width).CopyTo(grown);
        _rows = grown;
    }

    /// <summary>An independent copy (a beam that continues from this one).</summary>
    public KeyValueCache Clone()
    {
        var copy = new KeyValueCache(Width, Count);
        _rows.AsSpan(0, Count * 2 * Width).CopyTo(copy._rows);
        copy.Count = Count;
        return copy;
    }
}
