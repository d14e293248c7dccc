using Sieve.Data;

namespace Sieve.Tests.Data;

public sealed class CenterCropTests
{
    /// <summary>An image whose pixel (x, y) is (x, y, 7) (modulo 256), so that positions can be read back.</summary>
    static RgbImage Coordinates(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                (pixels[(y * width + x) * 3], pixels[(y * width + x) * 3 + 1], pixels[(y * width + x) * 3 + 2]) = ((byte)x, (byte)y, 7);
        return new RgbImage(width, height, pixels);
    }

    [Fact]
    public void The_offset_is_the_floored_half_of_the_excess()
    {
        // 331 × 248 → 224 × 224: left = 107 // 2 = 53 (not 54), top = 24 // 2 = 12.
        var image = Coordinates(331, 248);
        var cropped = CenterCrop.Apply(image, 224, 224);

        Assert.Equal((224, 224), (cropped.Width, cropped.Height));
        Assert.Equal(((byte)53, (byte)12, (byte)7), cropped.GetPixel(0, 0));
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 224; x++)
                Assert.Equal(image.GetPixel(53 + x, 12 + y), cropped.GetPixel(x, y));
    }

    [Fact]
    public void A_crop_larger_than_the_image_is_padded_with_black()
    {
        // 5 × 3 → 8 × 4: left = (5 − 8) // 2 = −2, top = (3 − 4) // 2 = −1 (floored, as Pillow's crop box).
        var cropped = CenterCrop.Apply(Coordinates(5, 3), 8, 4);

        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 8; x++)
            {
                bool inside = x >= 2 && x < 7 && y >= 1 && y < 4;
                var expected = inside ? ((byte)(x - 2), (byte)(y - 1), (byte)7) : ((byte)0, (byte)0, (byte)0);
                Assert.Equal(expected, cropped.GetPixel(x, y));
            }
        }
    }

    [Fact]
    public void A_crop_wider_but_shorter_than_the_image_pads_and_cuts()
    {
        // 4 × 6 → 6 × 2: left = −1, top = 2.
        var cropped = CenterCrop.Apply(Coordinates(4, 6), 6, 2);

        Assert.Equal(((byte)0, (byte)0, (byte)0), cropped.GetPixel(0, 0));
        Assert.Equal(((byte)0, (byte)2, (byte)7), cropped.GetPixel(1, 0));
        Assert.Equal(((byte)3, (byte)3, (byte)7), cropped.GetPixel(4, 1));
        Assert.Equal(((byte)0, (byte)0, (byte)0), cropped.GetPixel(5, 1));
    }

    [Fact]
    public void The_same_size_returns_the_image()
    {
        var image = Coordinates(9, 4);

        Assert.Same(image, CenterCrop.Apply(image, 9, 4));
    }

    [Fact]
    public void Non_positive_sizes_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CenterCrop.Apply(Coordinates(4, 4), 0, 2));
    }
}
