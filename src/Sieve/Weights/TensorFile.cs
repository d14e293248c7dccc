namespace Sieve.Weights;

/// <summary>
/// A file of named tensors, validated on open and read lazily: a safetensors file (<see cref="SafetensorsFile"/>)
/// or a PyTorch checkpoint (<see cref="TorchCheckpointFile"/>). Reads convert to float32 and may run concurrently
/// (though not with <see cref="Dispose"/>); the file is never written to.
/// </summary>
/// <remarks>
/// Malformed files raise <see cref="SieveFormatException"/> naming the file and the tensor or field; a missing
/// or unreadable file raises the usual <see cref="IOException"/>.
/// </remarks>
internal abstract class TensorFile : IDisposable
{
    /// <param name="path">Full path of the file.</param>
    /// <param name="tensors">Every tensor's entry, already checked to lie inside the file.</param>
    protected TensorFile(string path, IReadOnlyDictionary<string, TensorInfo> tensors)
    {
        Path = path;
        Tensors = tensors;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Tensor entries by name, in the file's order.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => Tensors.ContainsKey(name);

    /// <summary>The entry for <paramref name="name"/>; a missing name raises an error suggesting close names.</summary>
    public TensorInfo Get(string name)
    {
        if (Tensors.TryGetValue(name, out var info)) return info;
        var hints = NameHints.Closest(name, Tensors.Keys);
        string hint = hints.Count > 0 ? $"; did you mean {string.Join(" or ", hints.Select(h => $"'{h}'"))}?" : "";
        throw new SieveFormatException($"tensor '{name}' not found in {Path} ({Tensors.Count} tensors){hint}");
    }

    /// <summary>Reads a tensor as a new float32 array, converting from F16, BF16 or F64.</summary>
    public float[] ReadFloats(string name)
    {
        var info = Get(name);
        var values = new float[CheckedArrayLength(info)];
        ReadChecked(info, values);
        return values;
    }

    /// <summary>Reads a tensor as float32 after checking that its shape is <paramref name="expectedShape"/>.</summary>
    public float[] ReadFloats(string name, params int[] expectedShape)
    {
        var values = new float[CheckedArrayLength(CheckShape(name, expectedShape))];
        ReadFloats(name, expectedShape, values);
        return values;
    }

    /// <summary>Reads a tensor of shape <paramref name="expectedShape"/> as float32 into <paramref name="destination"/> (its exact size).</summary>
    public void ReadFloats(string name, ReadOnlySpan<int> expectedShape, Span<float> destination)
    {
        var info = CheckShape(name, expectedShape);
        if (destination.Length != info.ElementCount)
            throw new ArgumentException($"destination holds {destination.Length} floats for tensor '{name}' of {info.ElementCount}", nameof(destination));
        ReadChecked(info, destination);
    }

    /// <summary>Reads a tensor as float32 into <paramref name="destination"/>, which must hold exactly its elements.</summary>
    public void ReadFloats(string name, Span<float> destination)
    {
        var info = Get(name);
        if (destination.Length != info.ElementCount)
            throw new SieveFormatException(
                $"tensor '{name}' in {Path} has {info.ElementCount} elements (shape {TensorInfo.FormatShape(info.Shape.AsSpan())}), " +
                $"expected {destination.Length}");
        ReadChecked(info, destination);
    }

    /// <summary>
    /// Writes the tensor's elements to <paramref name="destination"/> as stored (its <see cref="TensorInfo.DType"/>,
    /// little-endian, row-major and contiguous): exactly <see cref="TensorInfo.ByteLength"/> bytes.
    /// </summary>
    public abstract void CopyBytes(TensorInfo info, Stream destination);

    /// <summary>
    /// The tensor's stored bytes left in the file and mapped for as long as the result lives (see <see cref="MappedTensor"/>),
    /// its float values checked finite; null where this kind of file cannot (a PyTorch checkpoint's tensor may be a strided view).
    /// </summary>
    public virtual MappedTensor? Map(TensorInfo info) => null;

    /// <summary>Converts the tensor, whose dtype is readable as float, into <paramref name="destination"/> (exactly its elements).</summary>
    protected abstract void Read(TensorInfo info, Span<float> destination);

    TensorInfo CheckShape(string name, ReadOnlySpan<int> expectedShape)
    {
        var info = Get(name);
        if (!info.HasShape(expectedShape))
            throw new SieveFormatException(
                $"tensor '{name}' in {Path} has shape {TensorInfo.FormatShape(info.Shape.AsSpan())}, " +
                $"expected {TensorInfo.FormatShape(expectedShape)}");
        return info;
    }

    void ReadChecked(TensorInfo info, Span<float> destination)
    {
        if (!info.DType.IsReadableAsFloat())
            throw new SieveFormatException(
                $"tensor '{info.Name}' in {Path} has dtype {info.DType.ToSafetensorsName()}; only F32, F16, BF16 and F64 can be read as floats");
        Read(info, destination);
    }

    int CheckedArrayLength(TensorInfo info) =>
        info.ElementCount <= Array.MaxLength
            ? (int)info.ElementCount
            : throw new SieveFormatException(
                $"tensor '{info.Name}' in {Path} has {info.ElementCount} elements, more than one float array can hold ({Array.MaxLength})");

    /// <summary>Unmaps the file; entries stay available, reads throw <see cref="ObjectDisposedException"/>.</summary>
    public abstract void Dispose();
}
