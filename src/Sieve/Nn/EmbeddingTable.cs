using System.Numerics.Tensors;
using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// A lookup table of <see cref="Rows"/> vectors <see cref="Width"/> wide, read by id (a text tower's token embeddings):
/// float32 as the checkpoint holds it, or in int8 with one symmetric scale per row (v ≈ scale·q,
/// <see cref="Int8Matrix.QuantizeRow"/>), a quarter of the memory. CLIP ViT-B/16's 49,408 × 512 token table is 101 MB
/// in float32, more than all its text blocks in int8, and a lookup touches only the rows of the tokens given.
/// </summary>
internal sealed class EmbeddingTable
{
    readonly float[]? _floats;
    readonly sbyte[]? _values;
    readonly float[]? _scales;

    /// <summary>Number of vectors (the vocabulary).</summary>
    public int Rows { get; }

    /// <summary>Length of each vector.</summary>
    public int Width { get; }

    /// <summary>How the values are held.</summary>
    public Precision Precision => _values != null ? Precision.Int8 : Precision.Float32;

    /// <summary>A float32 table, [<paramref name="rows"/>, <paramref name="width"/>] row-major.</summary>
    public EmbeddingTable(float[] values, int rows, int width)
    {
        Check(values.Length, rows, width);
        (_floats, Rows, Width) = (values, rows, width);
    }

    /// <summary>An int8 table: <paramref name="values"/> [<paramref name="rows"/>, <paramref name="width"/>] and one scale per row.</summary>
    public EmbeddingTable(sbyte[] values, float[] scales, int rows, int width)
    {
        Check(values.Length, rows, width);
        if (scales.Length != rows) throw new ArgumentException($"{scales.Length} scales for {rows} rows", nameof(scales));
        (_values, _scales, Rows, Width) = (values, scales, rows, width);
    }

    static void Check(int length, int rows, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (length != (long)rows * width) throw new ArgumentException($"{length} values for a [{rows}, {width}] table", nameof(length));
    }

    /// <summary>
    /// <paramref name="destination"/> = row <paramref name="id"/> + <paramref name="addend"/> (a position embedding), each
    /// <see cref="Width"/> long; an int8 row is dequantized as (q·scale) + addend, in that order (as the ONNX export does).
    /// </summary>
    public void AddRow(int id, ReadOnlySpan<float> addend, Span<float> destination)
    {
        if ((uint)id >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(id), id, $"row of a table of {Rows}");
        int d = Width;
        if (addend.Length != d || destination.Length != d) throw new ArgumentException($"addend and destination must be {d} long");
        if (_floats != null)
        {
            TensorPrimitives.Add(_floats.AsSpan(id * d, d), addend, destination);
            return;
        }
        var q = _values.AsSpan(id * d, d);
        float scale = _scales![id];
        for (int i = 0; i < d; i++) destination[i] = q[i] * scale + addend[i];
    }
}
