namespace Sieve.Data;

/// <summary>
/// Cuts the centre out of an image, as Pillow's <c>image.crop((left, top, left + width, top + height))</c>
/// with <c>left = (W − width) // 2</c> and <c>top = (H − height) // 2</c> (floor division), which is how
/// timm's and Hugging Face's reference pipelines crop.
/// </summary>
/// <remarks>
/// Where the crop is larger than the image, the parts outside it are black (zero), as with Pillow's crop
/// and torchvision's padding <c>CenterCrop</c>. The offset is still floored, so an odd excess puts the
/// extra black column on the left (row at the top); torchvision puts it on the right (bottom).
/// torchvision also rounds a half-pixel offset half to even where this floors it, so its cut may sit one
/// pixel further right or down; the reference pipelines Sieve matches floor.
/// </remarks>
internal static class CenterCrop
{
    /// <summary>The centre <paramref name="width"/> × <paramref name="height"/> pixels of <paramref name="image"/>.</summary>
    /// <returns>The cropped image; <paramref name="image"/> itself when the size is unchanged.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static RgbImage Apply(RgbImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (width == image.Width && height == image.Height) return image;
        return Cut(image.Width, image.Height, width, height,
            (x, y, w, h) => PilResize.Region(image, image.Width, image.Height, x, y, w, h));
    }

    /// <summary>
    /// The centre <paramref name="width"/> × <paramref name="height"/> of an <paramref name="imageWidth"/> ×
    /// <paramref name="imageHeight"/> image whose pixels are produced on demand: <paramref name="region"/>(x, y, w, h)
    /// gives the part of the image the crop box covers, so only that part is ever made.
    /// </summary>
    internal static RgbImage Cut(int imageWidth, int imageHeight, int width, int height, Func<int, int, int, int, RgbImage> region)
    {
        // An arithmetic shift floors, as Python's // does, also for negative excesses.
        int left = (imageWidth - width) >> 1, top = (imageHeight - height) >> 1;
        // The part of the crop box that lies inside the image.
        int x0 = Math.Max(left, 0), x1 = Math.Min(left + width, imageWidth);
        int y0 = Math.Max(top, 0), y1 = Math.Min(top + height, imageHeight);
        if (x0 >= x1 || y0 >= y1) return RgbImage.Wrap(width, height, new byte[width * height * 3]);

        var inside = region(x0, y0, x1 - x0, y1 - y0);
        if (inside.Width == width && inside.Height == height) return inside;
        var result = new byte[width * height * 3];
        for (int y = 0; y < inside.Height; y++)
        {
            inside.Pixels.Slice(y * inside.Width * 3, inside.Width * 3)
                .CopyTo(result.AsSpan(((y0 - top + y) * width + x0 - left) * 3));
        }
        return RgbImage.Wrap(width, height, result);
    }
}
