namespace Sieve.Data;

/// <summary>
/// Pillow's <c>Image.resize(size, Image.BICUBIC)</c> for 8-bit RGB images, reproduced bit for bit from
/// Pillow 9.4's <c>libImaging/Resample.c</c>, so that preprocessing matches models' reference pipelines.
/// </summary>
/// <remarks>
/// The filter is the cubic convolution kernel with a = −0.5. When shrinking, its support is widened by
/// the scale factor (antialiasing). The resize is separable: a horizontal pass, then a vertical one, each
/// in 22-bit fixed point and each rounding and clipping its result to 8 bits, exactly as Pillow does.
/// </remarks>
public static class PilResize
{
    /// <summary>Resizes <paramref name="image"/> to <paramref name="width"/> × <paramref name="height"/>.</summary>
    /// <returns>The resized image; <paramref name="image"/> itself when the size is unchanged.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static RgbImage Bicubic(RgbImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (width == image.Width && height == image.Height) return image;

        // As in ImagingResampleInner: the vertical weights come first, so that the horizontal pass only
        // computes the source rows the vertical pass reads. A pass whose size is unchanged is skipped.
        var vertical = FilterWeights.Bicubic(image.Height, height);
        ReadOnlySpan<byte> pixels = image.Pixels;
        byte[]? result = null;
        int firstRow = 0;
        if (width != image.Width)
        {
            firstRow = vertical.Start[0];
            int rows = vertical.Start[^1] + vertical.Count[^1] - firstRow;
            int stride = image.Width * 3;
            result = ResampleRows(pixels.Slice(firstRow * stride, rows * stride), image.Width, rows,
                FilterWeights.Bicubic(image.Width, width));
            pixels = result;
        }
        if (height != image.Height)
            result = ResampleColumns(pixels, width, firstRow, vertical);
        return RgbImage.Wrap(width, height, result!);
    }

    static byte[] ResampleRows(ReadOnlySpan<byte> source, int sourceWidth, int rows, FilterWeights weights)
    {
        int width = weights.Start.Length;
        var result = new byte[rows * width * 3];
        for (int y = 0; y < rows; y++)
        {
            var row = source.Slice(y * sourceWidth * 3, sourceWidth * 3);
            var output = result.AsSpan(y * width * 3, width * 3);
            for (int x = 0; x < width; x++)
            {
                var k = weights.Of(x);
                var taps = row.Slice(weights.Start[x] * 3, k.Length * 3);
                int r = FilterWeights.Half, g = FilterWeights.Half, b = FilterWeights.Half;
                for (int i = 0; i < k.Length; i++)
                {
                    r += taps[3 * i] * k[i];
                    g += taps[3 * i + 1] * k[i];
                    b += taps[3 * i + 2] * k[i];
                }
                output[3 * x] = FilterWeights.ToByte(r);
                output[3 * x + 1] = FilterWeights.ToByte(g);
                output[3 * x + 2] = FilterWeights.ToByte(b);
            }
        }
        return result;
    }

    // source holds the rows from firstRow of the image on: those the horizontal pass produced.
    static byte[] ResampleColumns(ReadOnlySpan<byte> source, int width, int firstRow, FilterWeights weights)
    {
        int stride = width * 3, height = weights.Start.Length;
        var result = new byte[height * stride];
        var sums = new int[stride];
        for (int y = 0; y < height; y++)
        {
            // Accumulates whole source rows at a time: integer sums do not depend on the order.
            sums.AsSpan().Fill(FilterWeights.Half);
            var k = weights.Of(y);
            for (int i = 0; i < k.Length; i++)
            {
                var row = source.Slice((weights.Start[y] - firstRow + i) * stride, stride);
                int ki = k[i];
                for (int j = 0; j < stride; j++) sums[j] += row[j] * ki;
            }
            var output = result.AsSpan(y * stride, stride);
            for (int j = 0; j < stride; j++) output[j] = FilterWeights.ToByte(sums[j]);
        }
        return result;
    }
}
