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
internal static class PilResize
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
        return Region(image, width, height, 0, 0, width, height);
    }

    /// <summary>
    /// The <paramref name="regionWidth"/> × <paramref name="regionHeight"/> pixels from (<paramref name="left"/>,
    /// <paramref name="top"/>) of <paramref name="image"/> resized to <paramref name="width"/> × <paramref name="height"/>,
    /// computing only those: each output pixel depends only on its own filter weights, so this is the crop of
    /// the whole resize, bit for bit, at a cost bounded by the region rather than the resized size.
    /// </summary>
    /// <remarks>The region must lie inside the resized image. With the size unchanged this is a plain crop.</remarks>
    internal static RgbImage Region(RgbImage image, int width, int height, int left, int top, int regionWidth, int regionHeight)
    {
        // As in ImagingResampleInner: the vertical weights come first, so that the horizontal pass only
        // computes the source rows the vertical pass reads. A pass whose size is unchanged is skipped.
        var vertical = height == image.Height ? null : FilterWeights.Bicubic(image.Height, height, top, regionHeight);
        int firstRow = vertical == null ? top : vertical.Start[0];
        int rows = vertical == null ? regionHeight : vertical.Start[^1] + vertical.Count[^1] - firstRow;
        int stride = image.Width * 3;
        var source = image.Pixels.Slice(firstRow * stride, rows * stride);
        byte[] result = width == image.Width
            ? CopyColumns(source, image.Width, rows, left, regionWidth)
            : ResampleRows(source, image.Width, rows, FilterWeights.Bicubic(image.Width, width, left, regionWidth));
        if (vertical != null)
            result = ResampleColumns(result, regionWidth, firstRow, vertical);
        return RgbImage.Wrap(regionWidth, regionHeight, result);
    }

    static byte[] CopyColumns(ReadOnlySpan<byte> source, int sourceWidth, int rows, int left, int width)
    {
        var result = new byte[rows * width * 3];
        for (int y = 0; y < rows; y++)
            source.Slice((y * sourceWidth + left) * 3, width * 3).CopyTo(result.AsSpan(y * width * 3));
        return result;
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
