namespace Sieve.Weights;

/// <summary>Reads a tensor's contiguous bytes from a mapped file, in chunks that keep every span under the 2 GB limit of a span.</summary>
internal static class TensorBytes
{
    /// <summary>Elements converted per step.</summary>
    const int ChunkElements = 1 << 26;

    /// <summary>Converts the <paramref name="destination"/>.Length elements of <paramref name="dtype"/> at <paramref name="offset"/> (checked by the caller to lie in the file).</summary>
    public static void ToSingle(MappedFile file, long offset, DType dtype, Span<float> destination)
    {
        int size = dtype.ElementSize();
        for (int i = 0; i < destination.Length; i += ChunkElements)
        {
            int count = Math.Min(ChunkElements, destination.Length - i);
            FloatConversion.ToSingle(dtype, file.Span(offset + (long)i * size, count * size), destination.Slice(i, count));
        }
    }

    /// <summary>Writes the <paramref name="length"/> bytes at <paramref name="offset"/> (checked by the caller to lie in the file) to <paramref name="destination"/>.</summary>
    public static void Copy(MappedFile file, long offset, long length, Stream destination)
    {
        for (long done = 0; done < length; done += ChunkElements)
            destination.Write(file.Span(offset + done, (int)Math.Min(ChunkElements, length - done)));
    }
}
