namespace Sieve.Data;

/// <summary>
/// An immutable 8-bit RGB image: <see cref="Width"/> × <see cref="Height"/> pixels stored row by row,
/// each pixel as three bytes R, G, B (no padding between rows).
/// </summary>
public sealed class RgbImage
{
    readonly byte[] _pixels;

    /// <summary>Creates an image from a copy of <paramref name="pixels"/>.</summary>
    /// <param name="width">Width in pixels; positive.</param>
    /// <param name="height">Height in pixels; positive.</param>
    /// <param name="pixels">Interleaved RGB bytes, row by row; exactly width × height × 3 of them.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">The pixel count does not match the size.</exception>
    public RgbImage(int width, int height, ReadOnlySpan<byte> pixels)
        : this(width, height, pixels.ToArray())
    {
    }

    RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (pixels.LongLength != 3L * width * height)
            throw new ArgumentException(
                $"A {width}×{height} RGB image needs {3L * width * height} bytes, found {pixels.LongLength}.",
                nameof(pixels));
        Width = width;
        Height = height;
        _pixels = pixels;
    }

    /// <summary>Wraps a pixel buffer without copying; the caller must not keep or change it.</summary>
    internal static RgbImage Wrap(int width, int height, byte[] pixels) => new(width, height, pixels);

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>All pixels, row by row, three bytes (R, G, B) each.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>The pixel at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The position is outside the image.</exception>
    public (byte R, byte G, byte B) GetPixel(int x, int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        int i = (y * Width + x) * 3;
        return (_pixels[i], _pixels[i + 1], _pixels[i + 2]);
    }
}
