using Sieve.Nn;
namespace Sieve.Models;

/// <summary>
/// One input of a tower (<see cref="ITower.Forward"/>): token ids, a preprocessed image [3, H, W], or both for a
/// fusion tower. Checked on construction.
/// </summary>
public sealed record TowerInput
{
    TowerInput(int[]? ids, float[]? pixels, int height, int width)
    {
        if (ids is { Length: 0 }) throw new ArgumentException("token sequence is empty", nameof(ids));
        if (pixels != null)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
            if (pixels.LongLength != 3L * height * width)
                throw new ArgumentException($"image tensor has {pixels.Length} values, expected 3×{height}×{width}", nameof(pixels));
        }
        (Ids, Pixels, Height, Width) = (ids, pixels, height, width);
    }

    /// <summary>A preprocessed image [3, <paramref name="height"/>, <paramref name="width"/>].</summary>
    public static TowerInput Image(float[] pixels, int height, int width) => new(null, pixels ?? throw new ArgumentNullException(nameof(pixels)), height, width);

    /// <summary>A preprocessed square image [3, <paramref name="size"/>, <paramref name="size"/>].</summary>
    public static TowerInput Image(float[] pixels, int size) => Image(pixels, size, size);

    /// <summary>Token ids, start token first.</summary>
    public static TowerInput Text(int[] ids) => new(ids ?? throw new ArgumentNullException(nameof(ids)), null, 0, 0);

    /// <summary>Token ids and a preprocessed image, for a fusion tower.</summary>
    public static TowerInput Pair(int[] ids, float[] pixels, int height, int width) =>
        new(ids ?? throw new ArgumentNullException(nameof(ids)), pixels ?? throw new ArgumentNullException(nameof(pixels)), height, width);

    /// <summary>Token ids, or null for an image alone.</summary>
    public int[]? Ids { get; }

    /// <summary>Preprocessed image [3, <see cref="Height"/>, <see cref="Width"/>], or null for text alone.</summary>
    public float[]? Pixels { get; }

    /// <summary>Image height in pixels (0 without an image).</summary>
    public int Height { get; }

    /// <summary>Image width in pixels (0 without an image).</summary>
    public int Width { get; }

    /// <summary>The ids, or an error naming what the tower needs.</summary>
    internal int[] RequireIds(TowerInfo tower) => Ids ?? throw new ArgumentException($"the {tower.Name} tower takes token ids; the input has none");

    /// <summary>The image, or an error naming what the tower needs.</summary>
    internal float[] RequirePixels(TowerInfo tower) => Pixels ?? throw new ArgumentException($"the {tower.Name} tower takes an image; the input has none");
}
