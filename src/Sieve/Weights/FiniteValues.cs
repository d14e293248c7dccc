using System.Numerics.Tensors;

namespace Sieve.Weights;

/// <summary>
/// Refuses weights holding NaN or ±∞. No checkpoint or guidance file needs them, and once loaded they travel
/// through every layer into every output; the check is one vectorised pass over values already in cache.
/// </summary>
internal static class FiniteValues
{
    /// <summary>Throws naming the tensor, the file and the first non-finite element unless all <paramref name="values"/> are finite.</summary>
    /// <param name="values">The tensor's values, row-major.</param>
    /// <param name="tensor">Its name.</param>
    /// <param name="file">The file it was read from.</param>
    /// <param name="shape">Its shape, for the element's position.</param>
    /// <exception cref="SieveFormatException">A value is NaN or infinite.</exception>
    public static void Require(ReadOnlySpan<float> values, string tensor, string file, ReadOnlySpan<int> shape)
    {
        if (TensorPrimitives.IsFiniteAll(values)) return;
        int at = 0;
        while (float.IsFinite(values[at])) at++;
        var position = new int[shape.Length];
        for (int d = shape.Length - 1, rest = at; d >= 0; d--)
        {
            position[d] = rest % shape[d];
            rest /= shape[d];
        }
        string value = float.IsNaN(values[at]) ? "NaN" : values[at] > 0 ? "+Infinity" : "-Infinity";
        throw new SieveFormatException(
            $"tensor '{tensor}' in {file} holds {value} at [{string.Join(", ", position)}]; weights must be finite numbers");
    }
}
