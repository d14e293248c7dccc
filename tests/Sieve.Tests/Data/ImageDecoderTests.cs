using Sieve.Data;
using Sieve.Tests.Support;

namespace Sieve.Tests.Data;

public sealed class ImageDecoderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("sieve-decoder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, byte[] data)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, data);
        return path;
    }

    [Fact]
    public void Crc32_of_the_standard_check_string()
    {
        Assert.Equal(0xCBF43926u, TestPng.Crc32("123456789"u8));
    }

    [Fact]
    public void Rgb_png_decodes_exactly()
    {
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90];
        var image = ImageDecoder.Decode(Write("rgb.png", TestPng.Encode(3, 2, TestPng.ColorType.Rgb, rgb)));

        Assert.Equal((3, 2), (image.Width, image.Height));
        Assert.Equal(rgb, image.Pixels.ToArray());
    }

    [Fact]
    public void Grey_png_is_replicated_to_three_channels()
    {
        var image = ImageDecoder.Decode(TestPng.Encode(2, 2, TestPng.ColorType.Grey, [0, 77, 200, 255]), "grey.png");

        Assert.Equal([0, 0, 0, 77, 77, 77, 200, 200, 200, 255, 255, 255], image.Pixels.ToArray());
    }

    [Fact]
    public void Grey_alpha_png_drops_alpha()
    {
        var image = ImageDecoder.Decode(TestPng.Encode(2, 1, TestPng.ColorType.GreyAlpha, [90, 0, 180, 128]), "ga.png");

        Assert.Equal([90, 90, 90, 180, 180, 180], image.Pixels.ToArray());
    }

    [Fact]
    public void Rgba_png_drops_alpha_without_blending()
    {
        // As Pillow's convert("RGB"): a fully transparent pixel keeps its colour.
        byte[] rgba = [10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255];
        var image = ImageDecoder.Decode(TestPng.Encode(3, 1, TestPng.ColorType.Rgba, rgba), "rgba.png");

        Assert.Equal([10, 20, 30, 40, 50, 60, 70, 80, 90], image.Pixels.ToArray());
    }

    [Fact]
    public void Jpeg_decodes_flat_blocks_to_their_colours()
    {
        // Block 0 is neutral grey; block 1 is Y 100, Cb 90, Cr 200, which JFIF's conversion makes
        // R = 100 + 1.402·72 = 200.9, G = 100 − 0.344136·(−38) − 0.714136·72 = 61.7, B = 100 + 1.772·(−38) = 32.7.
        byte[] jpeg = TestJpeg.Encode(2, 1, (bx, _) => bx == 0 ? ((byte)128, (byte)128, (byte)128) : ((byte)100, (byte)90, (byte)200));
        var image = ImageDecoder.Decode(Write("blocks.jpg", jpeg));

        Assert.Equal((16, 8), (image.Width, image.Height));
        for (int y = 0; y < 8; y++)
        {
            for (int x = 0; x < 16; x++)
            {
                var (r, g, b) = image.GetPixel(x, y);
                var (er, eg, eb) = x < 8 ? (128, 128, 128) : (201, 62, 33);
                Assert.InRange(r, er - 1, er + 1);
                Assert.InRange(g, eg - 1, eg + 1);
                Assert.InRange(b, eb - 1, eb + 1);
            }
        }
    }

    [Fact]
    public void Random_bytes_are_rejected_naming_the_file()
    {
        var noise = new byte[300];
        new Random(7).NextBytes(noise);
        string path = Write("noise.jpg", noise);

        var e = Assert.Throws<SieveFormatException>(() => ImageDecoder.Decode(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("unknown image type", e.Message); // stb's reason
    }

    [Fact]
    public void Png_cut_short_is_rejected()
    {
        byte[] png = TestPng.Encode(4, 4, TestPng.ColorType.Rgb, new byte[48]);

        var e = Assert.Throws<SieveFormatException>(() => ImageDecoder.Decode(png.AsSpan(0, 40), "cut.png"));
        Assert.StartsWith("cut.png: ", e.Message);
    }

    // StbImageSharp seeks over segments; seeking past the end made its marker search loop forever
    // (a real JPEG cut inside its EXIF block did). Lengths too short to be valid must not loop either.
    [Theory(Timeout = 20_000)]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE1, 0x10, 0x00, 1, 2, 3, 4, 5, 6 })] // APP1 of 4 KB, 6 bytes there
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x00, 0xFF, 0xE1, 0x00, 0x00 })] // lengths 0
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xDB })] // length 1
    public async Task Jpeg_segments_with_bad_lengths_fail_instead_of_hanging(byte[] jpeg)
    {
        var e = await Task.Run(() => Assert.Throws<SieveFormatException>(() => ImageDecoder.Decode(jpeg, "cut.jpg")));

        Assert.StartsWith("cut.jpg: ", e.Message);
    }

    [SharedDataFact]
    public void Real_jpeg_cut_to_100_bytes_is_rejected_naming_the_file()
    {
        byte[] jpeg = File.ReadAllBytes(SharedData.Path("data", "imagenet-sample-dev", "n01440764_tench.JPEG"));
        string path = Write("tench-cut.JPEG", jpeg[..100]);

        var e = Assert.Throws<SieveFormatException>(() => ImageDecoder.Decode(path));
        Assert.Contains(path, e.Message);
    }

    [SharedDataFact]
    public void Real_jpeg_decodes_to_its_size()
    {
        var image = ImageDecoder.Decode(SharedData.Path("data", "imagenet-sample-dev", "n01440764_tench.JPEG"));

        Assert.Equal((500, 375), (image.Width, image.Height));
    }

    [Fact]
    public void Empty_file_is_rejected()
    {
        string path = Write("empty.png", []);

        var e = Assert.Throws<SieveFormatException>(() => ImageDecoder.Decode(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Missing_file_is_reported_with_its_path()
    {
        string path = Path.Combine(_dir, "nowhere.jpg");

        var e = Assert.Throws<FileNotFoundException>(() => ImageDecoder.Decode(path));
        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
    }
}
