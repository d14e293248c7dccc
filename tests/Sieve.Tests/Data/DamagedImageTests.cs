using Sieve.Data;
using Sieve.Tests.Support;

namespace Sieve.Tests.Data;

/// <summary>
/// JPEGs and PNGs that are cut short or damaged are refused naming the file, unless the caller allows them
/// (issue 12, defect 5: stb decoded a JPEG cut to half its bytes, filling the rest with grey, and classify
/// exited 0).
/// </summary>
public sealed class DamagedImageTests
{
    // 24 × 24 blocks of varied colours: about 4 KB of entropy-coded data after 0.2 KB of headers.
    static readonly byte[] Jpeg = TestJpeg.Encode(24, 24, (bx, by) => ((byte)(bx * 10), (byte)(128 + by), (byte)(200 - bx - by)));

    static byte[] Png()
    {
        var samples = new byte[40 * 30 * 3];
        new Random(11).NextBytes(samples);
        return TestPng.Encode(40, 30, TestPng.ColorType.Rgb, samples);
    }

    static string Refusal(byte[] data, string name) =>
        Assert.Throws<SieveFormatException>(() => ImageDecoder.Decode(data, name)).Message;

    [Fact]
    public void The_intact_images_decode()
    {
        Assert.Equal((192, 192), (ImageDecoder.Decode(Jpeg, "a.jpg").Width, ImageDecoder.Decode(Jpeg, "a.jpg").Height));
        Assert.Equal(40, ImageDecoder.Decode(Png(), "a.png").Width);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void A_jpeg_cut_short_is_refused_naming_the_file(double kept)
    {
        var cut = Jpeg[..(int)(Jpeg.Length * kept)];

        string message = Refusal(cut, "cut.jpg");

        Assert.Equal("cut.jpg: the JPEG is cut short: it ends before its end-of-image marker (allowDamaged, or --allow-truncated-images, decodes what is there)", message);
    }

    [Fact]
    public void A_jpeg_missing_only_its_end_marker_is_refused()
    {
        Assert.Contains("cut short", Refusal(Jpeg[..^2], "cut.jpg"));
    }

    [Fact]
    public void A_jpeg_cut_inside_its_image_data_decodes_when_allowed()
    {
        var cut = Jpeg[..(int)(Jpeg.Length * 0.9)];

        var image = ImageDecoder.Decode(cut, "cut.jpg", allowDamaged: true);

        // stb fills what is missing: the size is the header's.
        Assert.Equal((192, 192), (image.Width, image.Height));
    }

    [Fact]
    public void A_jpeg_whose_image_data_holds_a_stray_marker_is_corrupt()
    {
        var scrambled = (byte[])Jpeg.Clone();
        int middle = scrambled.Length / 2;
        (scrambled[middle], scrambled[middle + 1]) = (0xFF, 0x4A);

        Assert.Contains($"the JPEG is corrupt: marker 0xFF4A at byte {middle} has no meaning there", Refusal(scrambled, "bad.jpg"));
    }

    [Fact]
    public void Bytes_after_the_end_marker_are_ignored_as_decoders_do()
    {
        byte[] padded = [.. Jpeg, 0, 0, 0x12, 0x34];

        Assert.Equal(192, ImageDecoder.Decode(padded, "padded.jpg").Width);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.95)]
    public void A_png_cut_short_is_refused(double kept)
    {
        var png = Png();

        Assert.Contains("a.png: the PNG is cut short: it ends before its IEND chunk", Refusal(png[..(int)(png.Length * kept)], "a.png"));
    }

    [Fact]
    public void A_png_whose_crc_alone_is_wrong_decodes_when_allowed()
    {
        var png = Png();
        var damaged = (byte[])png.Clone();
        damaged[^13] ^= 1; // the last byte of the IDAT chunk's CRC, just before IEND

        Assert.Contains("the CRC of its IDAT chunk", Refusal(damaged, "a.png"));
        Assert.Equal(ImageDecoder.Decode(png, "a.png").Pixels.ToArray(), ImageDecoder.Decode(damaged, "a.png", allowDamaged: true).Pixels.ToArray());
    }

    [Fact]
    public void A_png_with_a_changed_byte_fails_its_chunk_crc()
    {
        var png = Png();
        png[png.Length / 2] ^= 0x10; // inside the IDAT chunk

        Assert.Contains("the PNG is corrupt: the CRC of its IDAT chunk at byte 33 does not match", Refusal(png, "a.png"));
    }

    [SharedDataFact]
    public void The_real_tench_jpeg_cut_to_half_is_refused()
    {
        byte[] jpeg = File.ReadAllBytes(SharedData.Path("data", "imagenet-sample-dev", "n01440764_tench.JPEG"));

        Assert.Contains("cut short", Refusal(jpeg[..(jpeg.Length / 2)], "tench.JPEG"));
    }
}
