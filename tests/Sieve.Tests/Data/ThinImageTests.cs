using Sieve.Data;

namespace Sieve.Tests.Data;

/// <summary>
/// Resizing only the part the centre crop keeps (issue 12, defect 3): the same pixels as resizing the whole
/// image then cropping, at a cost bounded by the crop, so a 1 × 20000 image neither overflows nor eats memory.
/// </summary>
public sealed class ThinImageTests
{
    static RgbImage RandomImage(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    [Theory]
    [InlineData(500, 375, 248, 224, 224, ResizeRounding.PythonRound)] // a typical ImageNet photo, timm
    [InlineData(375, 500, 224, 224, 224, ResizeRounding.Truncate)]    // portrait, CLIP
    [InlineData(31, 17, 40, 80, 48, ResizeRounding.PythonRound)]      // 73 × 40, crop larger both ways: black borders
    [InlineData(2, 700, 30, 24, 24, ResizeRounding.Truncate)]         // thin: 30 × 10500, the crop from its middle
    [InlineData(64, 48, 13, 9, 7, ResizeRounding.PythonRound)]        // strong shrink
    [InlineData(40, 30, 30, 16, 16, ResizeRounding.PythonRound)]      // width unchanged: only the vertical pass
    public void Cropped_view_equals_cropping_the_whole_resize_bit_for_bit(
        int width, int height, int shorter, int cropWidth, int cropHeight, ResizeRounding rounding)
    {
        var image = RandomImage(width, height, seed: width * 7919 + height);
        var options = new PreprocessOptions(shorter, cropWidth, cropHeight, (0f, 0f, 0f), (1f, 1f, 1f), rounding);
        var (w, h) = options.ResizedSize(width, height);

        var view = new ImagePreprocessor(options).View(image);

        var expected = CenterCrop.Apply(PilResize.Bicubic(image, w, h), cropWidth, cropHeight);
        Assert.Equal((cropWidth, cropHeight), (view.Width, view.Height));
        Assert.Equal(expected.Pixels.ToArray(), view.Pixels.ToArray());
    }

    [Theory]
    [InlineData(1, 20000)]
    [InlineData(50000, 1)]
    public void A_one_pixel_thin_image_preprocesses_within_the_crop_budget(int width, int height)
    {
        // The whole resize would be 248 × 4,960,000 (3.7 GB) or 12,400,000 × 248 pixels.
        var image = RandomImage(width, height, seed: 5);
        var options = new PreprocessOptions(248, 224, 224, (0.5f, 0.5f, 0.5f), (0.5f, 0.5f, 0.5f), ResizeRounding.PythonRound);

        long before = GC.GetAllocatedBytesForCurrentThread();
        float[] x = new ImagePreprocessor(options).Process(image);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(3 * 224 * 224, x.Length);
        Assert.True(allocated < 16 << 20, $"allocated {allocated} bytes for a 224 × 224 input");
    }

    [Fact]
    public void A_resize_beyond_int_range_is_refused_naming_the_sizes()
    {
        var options = new PreprocessOptions(248, 224, 224, (0f, 0f, 0f), (1f, 1f, 1f), ResizeRounding.PythonRound);

        var e = Assert.Throws<ArgumentException>(() => options.ResizedSize(1, 10_000_000));

        Assert.Contains("1×10000000", e.Message);
        Assert.Contains("2480000000", e.Message);
    }
}
