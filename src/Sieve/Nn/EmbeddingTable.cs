using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Nn;

/// <summary>
/// A lookup table of <see cref="Rows"/> vectors <see cref="Width"/> wide, read by id (a text tower's token embeddings):
/// float32 as the checkpoint holds it, or in int8 with one symmetric scale per row (v ≈ scale·q,
/// <see cref="Int8Matrix.QuantizeRow"/>). CLIP ViT-B/16's 49,408 × 512 token table is 101 MB in float32, more than
/// all its text blocks in int8, and a lookup touches only the rows of the tokens given; so where the checkpoint allows,
/// the rows stay in its file, mapped (<see cref="MappedTensor"/>), and only the pages of rows looked up are in memory.
/// </summary>
internal sealed class EmbeddingTable
{
    readonly float[]? _floats;     // float32 rows, held
    readonly sbyte[]? _values;     // int8 rows, held
    readonly MappedTensor? _mapped; // or the rows, F32 or I8, left in the checkpoint
    readonly float[]? _scales;     // one per int8 row (held, or mapped I8)

    /// <summary>Number of vectors (the vocabulary).</summary>
    public int Rows { get; }

    /// <summary>Length of each vector.</summary>
    public int Width { get; }

    /// <summary>How the values are used: int8 rows are dequantized, float32 rows of an int8 table quantized first.</summary>
    public Precision Precision { get; }

    /// <summary>Whether the rows are left in the checkpoint file rather than held in memory.</summary>
    public bool IsMapped => _mapped != null;

    /// <summary>A float32 table, [<paramref name="rows"/>, <paramref name="width"/>] row-major.</summary>
    public EmbeddingTable(float[] values, int rows, int width)
    {
        Check(values.Length, rows, width);
        (_floats, Rows, Width, Precision) = (values, rows, width, Precision.Float32);
    }

    /// <summary>An int8 table: <paramref name="values"/> [<paramref name="rows"/>, <paramref name="width"/>] and one scale per row.</summary>
    public EmbeddingTable(sbyte[] values, float[] scales, int rows, int width)
    {
        Check(values.Length, rows, width);
        CheckScales(scales, rows);
        (_values, _scales, Rows, Width, Precision) = (values, scales, rows, width, Precision.Int8);
    }

    /// <summary>
    /// A table left in its checkpoint: F32 rows used as <paramref name="precision"/> says (<paramref name="scales"/> null), or
    /// I8 rows with their <paramref name="scales"/> (int8).
    /// </summary>
    public EmbeddingTable(MappedTensor rows, float[]? scales, int rowCount, int width, Precision precision)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (rows.ByteLength != (long)rowCount * width * rows.DType.ElementSize())
            throw new ArgumentException($"{rows.ByteLength} bytes of {rows.DType} for a [{rowCount}, {width}] table", nameof(rows));
        if (rows.DType == DType.I8)
        {
            CheckScales(scales ?? throw new ArgumentNullException(nameof(scales), "int8 rows need their scales"), rowCount);
            if (precision != Precision.Int8) throw new ArgumentException("int8 rows make an int8 table", nameof(precision));
        }
        else if (rows.DType != DType.F32 || scales != null) throw new ArgumentException($"rows of {rows.DType} with{(scales == null ? "out" : "")} scales", nameof(rows));
        (_mapped, _scales, Rows, Width, Precision) = (rows, scales, rowCount, width, precision);
    }

    static void Check(int length, int rows, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (length != (long)rows * width) throw new ArgumentException($"{length} values for a [{rows}, {width}] table", nameof(length));
    }

    static void CheckScales(float[] scales, int rows)
    {
        if (scales.Length != rows) throw new ArgumentException($"{scales.Length} scales for {rows} rows", nameof(scales));
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
        Span<sbyte> q = _values != null ? _values.AsSpan(id * d, d) : d <= 4096 ? stackalloc sbyte[d] : new sbyte[d];
        float scale;
        if (_values != null) scale = _scales![id];
        else if (_mapped!.DType == DType.I8)
        {
            _mapped.Read((long)id * d, MemoryMarshal.AsBytes(q));
            scale = _scales![id];
        }
        else
        {
            _mapped.Read((long)id * d * sizeof(float), MemoryMarshal.AsBytes(destination));
            if (Precision == Precision.Float32)
            {
                TensorPrimitives.Add(destination, addend, destination);
                return;
            }
            scale = Int8Matrix.QuantizeRow(destination, q);
        }
        for (int i = 0; i < d; i++) destination[i] = q[i] * scale + addend[i];
    }
}
