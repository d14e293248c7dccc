using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// A context's keys and values as one cross-attention projects them, [Count, 2D] rows (k then v), with the context's
/// log(size) per token, and each head's keys and values packed as attention multiplies them: computed once per
/// context and read by every query that attends to it (each decoding step of a caption reads the same image; packing
/// the 577 image tokens of every head and layer again at each of its 21 steps was ≈ 15% of a BLIP-base caption).
/// Owns rented memory: dispose it when the last query is done.
/// </summary>
internal sealed class ContextKeyValues : IDisposable
{
    readonly Scratch _rows;

    internal ContextKeyValues(Scratch rows, int count, float[]? logSizes, int width, int heads)
    {
        (_rows, Count, LogSizes) = (rows, count, logSizes);
        int dh = width / heads;
        var (keys, values) = (new PackedMatrix[heads], new PackedMatrix[heads]);
        var source = rows.Array;
        Threading.For(heads, h =>
        {
            (keys[h], values[h]) = (new PackedMatrix(), new PackedMatrix());
            using (OpProfile.Time(OpKind.AttentionScores)) keys[h].PackOutputRows(source.AsSpan(h * dh), count, dh, 2 * width);
            using (OpProfile.Time(OpKind.AttentionValues)) values[h].PackInputRows(source.AsSpan(width + h * dh), count, dh, 2 * width);
        });
        (KeyPanels, ValuePanels) = (keys, values);
    }

    /// <summary>The rows, [Count, 2D] at the start (the array may be longer).</summary>
    public float[] Rows => _rows.Array;

    /// <summary>Context tokens.</summary>
    public int Count { get; }

    /// <summary>log(size) per token, or null while every token stands for one.</summary>
    public float[]? LogSizes { get; }

    /// <summary>Head h's keys, packed for q·kᵀ.</summary>
    public IReadOnlyList<PackedMatrix> KeyPanels { get; }

    /// <summary>Head h's values, packed for ·v.</summary>
    public IReadOnlyList<PackedMatrix> ValuePanels { get; }

    /// <inheritdoc />
    public void Dispose() => _rows.Dispose();
}
