using System.Text.Json.Nodes;
using Sieve.Cli;
using Sieve.Cli.Commands;
using Sieve.Hub;
using Sieve.Tests.Data;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>Issue 12's input defects through the command line: each ends in exit 0, or exit 2 with one error line.</summary>
public sealed partial class CliTests
{
    /// <summary>The one line of an exit-2 run, checked to be the only "error:" line.</summary>
    static string ErrorLine(string output) => Assert.Single(output.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));

    [Fact]
    public void A_one_pixel_wide_image_a_million_pixels_tall_classifies()
    {
        // The whole resize would be 36 × 36,000,000 pixels (3.9 GB): it overflowed before.
        using var ck = TinyModels.Vit(101, DType.F32);
        string path = Path.Combine(_temp.Path, "thin.png");
        File.WriteAllBytes(path, TestPng.Encode(1, 1_000_000, TestPng.ColorType.Grey, new byte[1_000_000]));

        var (code, output) = Run("classify", "--model", ck.Directory, "--top", "1", path);

        Assert.True(code == 0, output);
        Assert.Contains("thin.png", output);
    }

    [Fact]
    public void A_truncated_jpeg_is_an_error_unless_allowed()
    {
        using var ck = TinyModels.Vit(102, DType.F32);
        var jpeg = TestJpeg.Encode(8, 8, (bx, by) => ((byte)(bx * 30), (byte)(by * 30), 128));
        string path = Path.Combine(_temp.Path, "cut.jpg");
        File.WriteAllBytes(path, jpeg[..(jpeg.Length * 3 / 4)]);

        var (code, output) = Run("classify", "--model", ck.Directory, path);
        Assert.Equal(SieveCli.InputError, code);
        Assert.StartsWith($"error: {path}: the JPEG is cut short", ErrorLine(output));

        (code, output) = Run("classify", "--model", ck.Directory, "--allow-truncated-images", path);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void An_absurd_config_value_is_an_error_naming_the_field()
    {
        using var ck = TinyModels.Vit(103, DType.F32);
        string config = Path.Combine(ck.Directory, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        json["model_args"]!["img_size"] = 160000;
        File.WriteAllText(config, json.ToJsonString());

        var (code, output) = Run("classify", "--model", ck.Directory, WriteImage("a.png", 1));

        Assert.Equal(SieveCli.InputError, code);
        Assert.Equal($"error: {config}: model_args.img_size must be a positive integer at most 4096, found 160000.", ErrorLine(output));
    }

    [Fact]
    public void A_symbolic_link_loop_as_image_is_an_error()
    {
        using var ck = TinyModels.Vit(104, DType.F32);
        string a = Path.Combine(_temp.Path, "a.png"), b = Path.Combine(_temp.Path, "b.png");
        File.CreateSymbolicLink(a, "b.png");
        File.CreateSymbolicLink(b, "a.png");

        var (code, output) = Run("classify", "--model", ck.Directory, a);

        Assert.Equal(SieveCli.InputError, code);
        Assert.StartsWith($"error: {a}: a symbolic link loop", ErrorLine(output));
    }

    [Fact]
    public void A_folder_of_images_includes_gifs()
    {
        using var ck = TinyModels.Vit(105, DType.F32);
        string folder = Path.Combine(_temp.Path, "mixed");
        Directory.CreateDirectory(folder);
        File.Move(WriteImage("a.png", 3), Path.Combine(folder, "a.png"));
        // A 1 × 1 black GIF: two-colour palette, one LZW-coded pixel (clear, 0, end).
        File.WriteAllBytes(Path.Combine(folder, "b.gif"),
            [.. "GIF89a"u8, 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255, (byte)',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, (byte)';']);

        var (code, output) = Run("classify", "--model", ck.Directory, "--top", "1", folder);

        Assert.True(code == 0, output);
        Assert.Contains("a.png", output);
        Assert.Contains("b.gif", output);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://example.org")]
    public void A_hub_endpoint_that_is_not_an_http_address_is_an_error(string endpoint)
    {
        using var cache = new TempFolder("sieve-cli-hub-");
        var saved = CliOptions.Hub;
        CliOptions.Hub = () => new HubOptions(endpoint, cache.Path);
        try
        {
            var (code, output) = Run("pull", "tiny-org/vit-tiny");

            Assert.Equal(SieveCli.InputError, code);
            Assert.Equal($"error: the Hub endpoint '{endpoint}' (HF_ENDPOINT) is not an http(s) address like https://huggingface.co", ErrorLine(output));
        }
        finally { CliOptions.Hub = saved; }
    }
}
