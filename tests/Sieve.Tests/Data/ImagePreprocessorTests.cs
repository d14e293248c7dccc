using Sieve.Data;
using Sieve.Tests.Support;

namespace Sieve.Tests.Data;

public sealed class ImagePreprocessorTests
{
    [Fact]
    public void Output_is_channel_planes_of_normalised_values()
    {
        // A 2 × 2 image with crop 2 × 2 and shorter side 2: no resize and no crop, only normalisation.
        var options = new PreprocessOptions(2, 2, 2, (0.5f, 0f, 1f), (0.5f, 1f, 0.25f), ResizeRounding.PythonRound);
        var image = new RgbImage(2, 2, [0, 51, 255, 255, 102, 0, 51, 153, 128, 204, 255, 64]);

        float[] x = new ImagePreprocessor(options).Process(image);

        float[] expected =
        [
            -1f, 1f, 0.2f / 0.5f - 1f, 0.8f / 0.5f - 1f,            // R: (v/255 − 0.5) / 0.5
            0.2f, 0.4f, 0.6f, 1f,                                    // G: v/255
            0f, -4f, (128 / 255f - 1f) / 0.25f, (64 / 255f - 1f) / 0.25f, // B: (v/255 − 1) / 0.25
        ];
        Assert.Equal(expected.Length, x.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], x[i], 1e-6f);
    }

    [Fact]
    public void A_flat_image_gives_flat_planes_of_the_crop_size()
    {
        var options = new PreprocessOptions(248, 224, 224, (0.5f, 0.5f, 0.5f), (0.5f, 0.5f, 0.5f), ResizeRounding.PythonRound);
        var pixels = new byte[300 * 200 * 3];
        for (int i = 0; i < pixels.Length; i += 3) (pixels[i], pixels[i + 1], pixels[i + 2]) = (0, 51, 255);

        float[] x = new ImagePreprocessor(options).Process(new RgbImage(300, 200, pixels));

        Assert.Equal(3 * 224 * 224, x.Length);
        Assert.All(x.AsSpan(0, 224 * 224).ToArray(), v => Assert.Equal(-1f, v));
        Assert.All(x.AsSpan(224 * 224, 224 * 224).ToArray(), v => Assert.Equal(0.4f - 1f, v, 1e-6f));
        Assert.All(x.AsSpan(2 * 224 * 224).ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Process_resizes_then_crops()
    {
        // 8 × 4 → shorter side 2 → 4 × 2 (exact), then the centre 2 × 2: columns 1 and 2.
        var options = new PreprocessOptions(2, 2, 2, (0f, 0f, 0f), (1f, 1f, 1f), ResizeRounding.PythonRound);
        var pixels = new byte[8 * 4 * 3];
        new Random(3).NextBytes(pixels);
        var image = new RgbImage(8, 4, pixels);

        float[] x = new ImagePreprocessor(options).Process(image);

        var resized = PilResize.Bicubic(image, 4, 2);
        for (int y = 0; y < 2; y++)
            for (int c = 0; c < 2; c++)
                Assert.Equal(resized.GetPixel(1 + c, y).R / 255f, x[y * 2 + c]);
    }

    [SharedDataFact]
    public void The_tench_photo_preprocesses_for_vit_tiny()
    {
        var image = ImageDecoder.Decode(SharedData.Path("data", "imagenet-sample-dev", "n01440764_tench.JPEG"));
        var options = new PreprocessOptions(248, 224, 224, (0.5f, 0.5f, 0.5f), (0.5f, 0.5f, 0.5f), ResizeRounding.PythonRound);

        float[] x = new ImagePreprocessor(options).Process(image);

        Assert.Equal(3 * 224 * 224, x.Length);
        Assert.All(x, v => Assert.InRange(v, -1f, 1f));
        Assert.True(x.Max() - x.Min() > 1f, "a photo should not come out flat");

        // Exactly the recipe in ../shared/data/README.md, step by step: the shorter side s to 248 with Python's
        // round, Pillow bicubic (checked against Pillow in PilResizeTests), the crop at ((w' − 224) // 2, (h' − 224) // 2),
        // then (v / 255 − 0.5) / 0.5 in planes R, G, B.
        int s = Math.Min(image.Width, image.Height);
        int w = (int)Math.Round(image.Width * 248.0 / s, MidpointRounding.ToEven), h = (int)Math.Round(image.Height * 248.0 / s, MidpointRounding.ToEven);
        var resized = PilResize.Bicubic(image, w, h);
        int left = (w - 224) / 2, top = (h - 224) / 2;
        Assert.Equal((500, 375, 331, 248, 53, 12), (image.Width, image.Height, w, h, left, top));
        for (int y = 0; y < 224; y++)
            for (int c = 0; c < 224; c++)
            {
                var (r, g, b) = resized.GetPixel(left + c, top + y);
                int i = y * 224 + c;
                Assert.Equal((r / 255f - 0.5f) / 0.5f, x[i], 1e-6f);
                Assert.Equal((g / 255f - 0.5f) / 0.5f, x[224 * 224 + i], 1e-6f);
                Assert.Equal((b / 255f - 0.5f) / 0.5f, x[2 * 224 * 224 + i], 1e-6f);
            }
    }
}
