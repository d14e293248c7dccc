using Sieve.Data;
using Sieve.Tests.Support;

namespace Sieve.Tests.Models;

/// <summary>ViltImageProcessor: Hugging Face's resize arithmetic worked out by hand, Pillow bicubic, normalisation, config fields.</summary>
public class ViltPreprocessingTests
{
    [Theory]
    [InlineData(640, 480, 512, 384)]   // 480 → 384, 640 → 512
    [InlineData(480, 640, 384, 512)]
    [InlineData(500, 500, 384, 384)]
    [InlineData(333, 500, 384, 576)]   // 500 · 384/333 = 576.58 → 577 → floored to 576
    [InlineData(1000, 200, 608, 128)]  // 1920 wide caps at 639: 639 × 127.8 → 639 × 128 → 608 × 128
    [InlineData(100, 60, 608, 352)]    // upscaled to 640 × 384, capped to 639 × 383.4 → 639 × 383 → 608 × 352
    public void OutputSizeFollowsHuggingFace(int width, int height, int expectedWidth, int expectedHeight)
    {
        Assert.Equal((expectedWidth, expectedHeight), ViltImageProcessor.Defaults.OutputSize(width, height));
        Assert.Equal(639, ViltImageProcessor.Defaults.LongestEdge);
    }

    [Fact]
    public void ProcessResizesWithPillowBicubicAndNormalises()
    {
        var pixels = new byte[50 * 30 * 3];
        new Random(5).NextBytes(pixels);
        var image = new RgbImage(50, 30, pixels);
        var processor = new ViltImageProcessor(16, 8, (0.5f, 0.25f, 0f), (0.5f, 0.5f, 1f));
        // 30 → 16, 50 → 26.67 > ⌊1333/800 · 16⌋ = 26: capped to 26 × 15.6 → 26 × 16 → floored to 24 × 16.
        var (x, height, width) = processor.Process(image);
        Assert.Equal((16, 24), (height, width));
        var resized = PilResize.Bicubic(image, 24, 16);
        Assert.Equal(resized.Pixels.ToArray(), processor.View(image).Pixels.ToArray());
        var (r, g, b) = resized.GetPixel(5, 7);
        Assert.Equal((r / 255f - 0.5f) / 0.5f, x[7 * 24 + 5], 1e-6f);
        Assert.Equal((g / 255f - 0.25f) / 0.5f, x[16 * 24 + 7 * 24 + 5], 1e-6f);
        Assert.Equal(b / 255f, x[2 * 16 * 24 + 7 * 24 + 5], 1e-6f);
    }

    [Fact]
    public void AnImageThinnerThanOnePatchIsRefused()
    {
        var image = new RgbImage(400, 4, new byte[400 * 4 * 3]);
        // 4 → 16 would make 400 → 1600 > 26: capped to 26 × 0.26 → 0 rows.
        var e = Assert.Throws<ArgumentException>(() => new ViltImageProcessor(16, 8, (0.5f, 0.5f, 0.5f), (0.5f, 0.5f, 0.5f)).Process(image));
        Assert.Contains("400×4 image resizes to 24×0 pixels: less than one 8-pixel patch", e.Message);
    }

    [Fact]
    public void ConfigFieldsAreReadAndCheckedByName()
    {
        using var folder = new TempFolder();
        Assert.Same(ViltImageProcessor.Defaults, ViltImageProcessor.FromDirectory(folder.Path));

        File.WriteAllText(folder.File("preprocessor_config.json"), """{"size": 200, "size_divisor": 16, "image_mean": [0.1, 0.2, 0.3], "image_std": [1, 2, 3]}""");
        var p = ViltImageProcessor.FromDirectory(folder.Path);
        Assert.Equal((200, 16, (0.1f, 0.2f, 0.3f), (1f, 2f, 3f)), (p.ShortestEdge, p.SizeDivisor, p.Mean, p.Std));

        File.WriteAllText(folder.File("preprocessor_config.json"), """{"size": {"shortest_edge": 384}, "resample": 2}""");
        Assert.Contains("resample must be 3", Assert.Throws<SieveFormatException>(() => ViltImageProcessor.FromDirectory(folder.Path)).Message);
        File.WriteAllText(folder.File("preprocessor_config.json"), """{"size_divisor": 0}""");
        Assert.Contains("size_divisor must be a positive integer", Assert.Throws<SieveFormatException>(() => ViltImageProcessor.FromDirectory(folder.Path)).Message);
    }
}
