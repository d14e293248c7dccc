using Sieve.Data;

namespace Sieve.Tests.Data;

public sealed class RgbImageTests
{
    [Fact]
    public void Pixels_are_interleaved_row_by_row()
    {
        var image = new RgbImage(2, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

        Assert.Equal(((byte)4, (byte)5, (byte)6), image.GetPixel(1, 0));
        Assert.Equal(((byte)7, (byte)8, (byte)9), image.GetPixel(0, 1));
    }

    [Fact]
    public void The_pixels_are_copied()
    {
        byte[] pixels = [1, 2, 3];
        var image = new RgbImage(1, 1, pixels);
        pixels[0] = 99;

        Assert.Equal(1, image.Pixels[0]);
    }

    [Theory]
    [InlineData(0, 1, 0)]
    [InlineData(1, -1, 0)]
    public void Non_positive_sizes_are_rejected(int width, int height, int length)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RgbImage(width, height, new byte[length]));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(7)]
    public void A_pixel_count_that_does_not_match_the_size_is_rejected(int length)
    {
        var e = Assert.Throws<ArgumentException>(() => new RgbImage(2, 1, new byte[length]));
        Assert.Contains("needs 6 bytes", e.Message);
    }

    [Fact]
    public void Pixels_outside_the_image_are_rejected()
    {
        var image = new RgbImage(2, 1, new byte[6]);

        Assert.Throws<ArgumentOutOfRangeException>(() => image.GetPixel(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.GetPixel(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.GetPixel(-1, 0));
    }
}
