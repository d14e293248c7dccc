using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// A context's keys and values as one cross-attention projects them, [Count, 2D] rows (k then v), with the context's
/// log(size) per token: computed once per context and read by every query that attends to it (each decoding step of
/// a caption reads the same image). For decoding, each head's keys and values are also packed once, as attention
/// multiplies them (<see cref="Packed"/>): packing the 577 image tokens of every head and layer again at each of a
/// caption's 21 steps took 15% of a BLIP-base caption. A context read once is not packed ahead: fresh panels per
/// forward (42 MB for BLIP-base) slowed its matching by a fifth, where attention's per-thread panels are reused.
/// Owns rented memory: dispose it when the last query is done.
/// </summary>
internal sealed class ContextKeyValues : IDisposable
{
    readonly Scratch _rows;

    internal ContextKeyValues(Scratch rows, int count, float[]? logSizes, int width, int heads, bool pack)
    {
        (_rows, Count, LogSizes) = (rows, count, logSizes);
        if (!pack) return;
        int dh = width / heads;
        var (keys, values) = (new PackedMatrix[heads], new PackedMatrix[heads]);
        var source = rows.Array;
        Threading.For(heads, h =>
        {
            (keys[h], values[h]) = (new PackedMatrix(), new PackedMatrix());
            using (OpProfile.Time(OpKind.AttentionScores)) keys[h].PackOutputRows(source.AsSpan(h * dh), count, dh, 2 * width);
            using (OpProfile.Time(OpKind.AttentionValues)) values[h].PackInputRows(source.AsSpan(width + h * dh), count, dh, 2 * width);
        });
        Packed = (keys, values);
    }

    /// <summary>The rows, [Count, 2D] at the start (the array may be longer).</summary>
    public float[] Rows => _rows.Array;

    /// <summary>Context tokens.</summary>
    public int Count { get; }

    /// <summary>log(size) per token, or null while every token stands for one.</summary>
    public float[]? LogSizes { get; }

    /// <summary>Each head's keys packed for q·kᵀ and values for ·v, when projected for decoding; otherwise null.</summary>
    public (IReadOnlyList<PackedMatrix> Keys, IReadOnlyList<PackedMatrix> Values)? Packed { get; }

    /// <inheritdoc />
    public void Dispose() => _rows.Dispose();
}
