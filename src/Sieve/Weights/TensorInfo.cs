using System.Collections.Immutable;

namespace Sieve.Weights;

/// <summary>
/// One tensor's entry in a checkpoint, already validated against its file: the bytes it reads lie inside the
/// file (the data section of a safetensors file, the tensor's storage in a PyTorch checkpoint) and match
/// <see cref="Shape"/> × the element size.
/// </summary>
internal sealed record TensorInfo
{
    internal TensorInfo(string name, DType dtype, ImmutableArray<int> shape, long offset, long elementCount)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        Offset = offset;
        ElementCount = elementCount;
    }

    /// <summary>The tensor's name, e.g. <c>blocks.0.attn.qkv.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The element type stored in the file.</summary>
    public DType DType { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public ImmutableArray<int> Shape { get; }

    /// <summary>
    /// Start of the tensor's first element: counted from the start of the data section (after the header) in a
    /// safetensors file, from the start of the file in a PyTorch checkpoint.
    /// </summary>
    public long Offset { get; }

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Number of bytes of the tensor's elements (contiguous in a safetensors file; a PyTorch view may spread them).</summary>
    public long ByteLength => ElementCount * DType.ElementSize();

    /// <summary>Whether <see cref="Shape"/> equals <paramref name="shape"/>.</summary>
    public bool HasShape(ReadOnlySpan<int> shape) => Shape.AsSpan().SequenceEqual(shape);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType.ToSafetensorsName()} {FormatShape(Shape.AsSpan())}";

    /// <summary>Formats a shape the way error messages show it: <c>[576, 192]</c>.</summary>
    internal static string FormatShape(ReadOnlySpan<int> shape) => $"[{string.Join(", ", shape.ToArray())}]";
}
