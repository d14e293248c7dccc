using Sieve.Data;

namespace Sieve.Tests.Data;

public sealed class PilResizeTests
{
    static RgbImage RandomImage(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    [Theory]
    [InlineData(500, 375, 331, 248)] // the timm shrink of a typical ImageNet photo
    [InlineData(17, 13, 40, 31)]     // enlarge both ways
    [InlineData(64, 48, 13, 9)]      // strong shrink: wide antialiasing windows
    [InlineData(10, 10, 23, 7)]      // enlarge one way, shrink the other
    [InlineData(3, 2, 1, 1)]
    public void Two_passes_agree_with_the_float64_reference(int width, int height, int newWidth, int newHeight)
    {
        var image = RandomImage(width, height, seed: width * 1000 + height);

        var actual = PilResize.Bicubic(image, newWidth, newHeight).Pixels.ToArray();
        var expected = ReferenceBicubic(image, newWidth, newHeight);

        // Each pass rounds once; the fixed-point weights can only tip a value lying within ~1e-4 of a
        // rounding boundary, so a pass is off by at most one level, and the second pass passes that on.
        AssertClose(expected, actual, maxDifference: 2);
    }

    [Theory]
    [InlineData(7, 5, 7, 3)] // vertical pass only
    [InlineData(7, 5, 3, 5)] // horizontal pass only
    [InlineData(9, 4, 20, 4)]
    [InlineData(4, 9, 4, 20)]
    public void A_single_pass_agrees_with_the_float64_reference_within_one_level(int width, int height, int newWidth, int newHeight)
    {
        var image = RandomImage(width, height, seed: 17 * width + height);

        var actual = PilResize.Bicubic(image, newWidth, newHeight).Pixels.ToArray();

        AssertClose(ReferenceBicubic(image, newWidth, newHeight), actual, maxDifference: 1);
    }

    static void AssertClose(byte[] expected, byte[] actual, int maxDifference)
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = 0, exact = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            int d = Math.Abs(expected[i] - actual[i]);
            worst = Math.Max(worst, d);
            if (d == 0) exact++;
        }
        Assert.True(worst <= maxDifference, $"largest difference {worst} levels, allowed {maxDifference}");
        // Off-by-one values need a near-tie, so they must be rare.
        Assert.True(exact >= 0.99 * expected.Length, $"only {exact} of {expected.Length} values exact");
    }

    [Theory]
    [InlineData(500, 375, 331, 248)]
    [InlineData(13, 7, 61, 2)]
    [InlineData(300, 2, 1, 9)]
    [InlineData(1, 1, 5, 4)]
    public void A_flat_image_stays_exactly_flat(int width, int height, int newWidth, int newHeight)
    {
        foreach (var (r, g, b) in new (byte, byte, byte)[] { (0, 1, 255), (128, 254, 3), (255, 255, 255) })
        {
            var pixels = new byte[width * height * 3];
            for (int i = 0; i < pixels.Length; i += 3) (pixels[i], pixels[i + 1], pixels[i + 2]) = (r, g, b);

            var resized = PilResize.Bicubic(new RgbImage(width, height, pixels), newWidth, newHeight);

            Assert.Equal((newWidth, newHeight), (resized.Width, resized.Height));
            for (int y = 0; y < newHeight; y++)
                for (int x = 0; x < newWidth; x++)
                    Assert.Equal((r, g, b), resized.GetPixel(x, y));
        }
    }

    [Fact]
    public void The_same_size_returns_the_same_pixels()
    {
        var image = RandomImage(31, 17, seed: 5);

        Assert.Equal(image.Pixels.ToArray(), PilResize.Bicubic(image, 31, 17).Pixels.ToArray());
    }

    // Enlarging 2 pixels to 4 (scale 0.5: no antialiasing, support 2). Output centres, in input
    // coordinates, are 0.25, 0.75, 1.25, 1.75; inputs sit at 0.5 and 1.5. With
    // cubic(t) = 1.5|t|³ − 2.5|t|² + 1 for |t| < 1 and −0.5|t|³ + 2.5|t|² − 4|t| + 2 for 1 ≤ |t| < 2:
    //   cubic(0.25) = 111/128, cubic(0.75) = 29/128, cubic(1.25) = −9/128.
    // Normalised weights (of inputs 0, 1): out0: 37/34, −3/34; out1: 111/140, 29/140; out2 and out3 mirror.
    // In 22-bit fixed point (× 4194304, rounded half away from zero):
    //   37/34 → 4564390, −3/34 → −370086, 111/140 → 3325484, 29/140 → 868820.
    // For inputs (100, 200), with the rounding offset 2^21 = 2097152 and a shift by 22 bits:
    //   out0: (2097152 + 100·4564390 − 200·370086) >> 22 = 384518952 >> 22 = 91   (exactly 91.18)
    //   out1: (2097152 + 100·3325484 + 200·868820) >> 22 = 508409552 >> 22 = 121  (exactly 120.71)
    //   out2: (2097152 + 100·868820 + 200·3325484) >> 22 = 754075952 >> 22 = 179  (exactly 179.29)
    //   out3: (2097152 − 100·370086 + 200·4564390) >> 22 = 877966552 >> 22 = 209  (exactly 208.82)
    // For (0, 255): out0 = 255·(−3/34) = −22.5 clips to 0; out1 = 255·29/140 = 52.8 → 53;
    //   out2 = 255·111/140 = 202.2 → 202; out3 = 255·37/34 = 277.5 clips to 255.
    // (2, 19) tests the fixed point itself: out0 = (37·2 − 3·19)/34 = 0.5 exactly, which exact rounding
    //   makes 1, but 37/34 is stored a little high and −3/34 a little low:
    //   2097152 + 2·4564390 − 19·370086 = 4194298 < 2^22, so Pillow gives 0.
    //   out1 = (2097152 + 2·3325484 + 19·868820) >> 22 = 25255700 >> 22 = 6   (exactly 5.52)
    //   out2 = (2097152 + 2·868820 + 19·3325484) >> 22 = 67018988 >> 22 = 15  (exactly 15.48)
    //   out3 = (2097152 − 2·370086 + 19·4564390) >> 22 = 88080390 >> 22 = 21  (exactly 20.5)
    static readonly byte[] Enlarged = [91, 0, 0, 121, 53, 6, 179, 202, 15, 209, 255, 21];
    static readonly byte[] TwoPixels = [100, 0, 2, 200, 255, 19];

    [Fact]
    public void Enlarging_two_pixels_to_four_horizontally_matches_the_hand_computation()
    {
        var resized = PilResize.Bicubic(new RgbImage(2, 1, TwoPixels), 4, 1);

        Assert.Equal(Enlarged, resized.Pixels.ToArray());
    }

    [Fact]
    public void Enlarging_two_pixels_to_four_vertically_matches_the_hand_computation()
    {
        var resized = PilResize.Bicubic(new RgbImage(1, 2, TwoPixels), 1, 4);

        Assert.Equal(Enlarged, resized.Pixels.ToArray());
    }

    [Fact]
    public void Non_positive_sizes_are_rejected()
    {
        var image = RandomImage(4, 4, seed: 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => PilResize.Bicubic(image, 0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => PilResize.Bicubic(image, 4, -1));
    }

    /// <summary>
    /// Bicubic resize in float64, written from the definition rather than from Pillow's code: every
    /// output weighs every input by the cubic kernel (a = −0.5) at their distance, stretched by the scale
    /// factor when shrinking, normalised to sum 1. Horizontal pass first; each pass rounds half up and
    /// clips to 8 bits, as Pillow does between and after its passes.
    /// </summary>
    static byte[] ReferenceBicubic(RgbImage image, int width, int height)
    {
        double[,] wx = ReferenceWeights(image.Width, width), wy = ReferenceWeights(image.Height, height);
        var src = image.Pixels.ToArray();

        var mid = new byte[image.Height * width * 3];
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    for (int i = 0; i < image.Width; i++) sum += wx[x, i] * src[(y * image.Width + i) * 3 + c];
                    mid[(y * width + x) * 3 + c] = RoundAndClip(sum);
                }

        var result = new byte[height * width * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    for (int i = 0; i < image.Height; i++) sum += wy[y, i] * mid[(i * width + x) * 3 + c];
                    result[(y * width + x) * 3 + c] = RoundAndClip(sum);
                }
        return result;
    }

    static double[,] ReferenceWeights(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize, stretch = Math.Max(scale, 1.0);
        var w = new double[outSize, inSize];
        for (int o = 0; o < outSize; o++)
        {
            double center = (o + 0.5) * scale, total = 0;
            for (int i = 0; i < inSize; i++) total += w[o, i] = Cubic((i + 0.5 - center) / stretch);
            for (int i = 0; i < inSize; i++) w[o, i] /= total;
        }
        return w;
    }

    static double Cubic(double t)
    {
        t = Math.Abs(t);
        return t < 1 ? 1.5 * t * t * t - 2.5 * t * t + 1
            : t < 2 ? -0.5 * t * t * t + 2.5 * t * t - 4 * t + 2
            : 0;
    }

    static byte RoundAndClip(double v) => (byte)Math.Clamp(Math.Floor(v + 0.5), 0, 255);
}
