using System.Text.Json;
using Sieve.Data;
using Sieve.Tests.Support;

namespace Sieve.Tests.Data;

public sealed class PreprocessOptionsTests
{
    const string VitTinyCfg = """
        {"tag": "augreg_in21k_ft_in1k", "input_size": [3, 224, 224], "fixed_input_size": true,
         "interpolation": "bicubic", "crop_pct": 0.9, "crop_mode": "center",
         "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "num_classes": 1000, "pool_size": null}
        """;

    static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    /// <summary>The ViT-Tiny pretrained_cfg with one field replaced (or removed, for null).</summary>
    static JsonElement TimmWith(string field, string? json)
    {
        var cfg = System.Text.Json.Nodes.JsonNode.Parse(VitTinyCfg)!.AsObject();
        cfg.Remove(field);
        if (json != null) cfg[field] = System.Text.Json.Nodes.JsonNode.Parse(json);
        return Json(cfg.ToJsonString());
    }

    static readonly PreprocessOptions ExpectedVitTiny =
        new(248, 224, 224, (0.5f, 0.5f, 0.5f), (0.5f, 0.5f, 0.5f), ResizeRounding.PythonRound);

    [Fact]
    public void Timm_config_resizes_to_floor_of_size_over_crop_pct()
    {
        Assert.Equal(ExpectedVitTiny, PreprocessOptions.FromTimmConfig(Json(VitTinyCfg)));
    }

    [SharedDataFact]
    public void The_real_vit_tiny_config_parses()
    {
        using var config = JsonDocument.Parse(File.ReadAllBytes(SharedData.Path("models", "vit-tiny-patch16-224", "config.json")));

        var options = PreprocessOptions.FromTimmConfig(config.RootElement.GetProperty("pretrained_cfg"));

        Assert.Equal(ExpectedVitTiny, options);
    }

    [Fact]
    public void Timm_defaults_apply_to_missing_optional_fields()
    {
        var cfg = Json("""{"input_size": [3, 224, 224], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}""");

        var options = PreprocessOptions.FromTimmConfig(cfg);

        Assert.Equal(256, options.ResizeShorterSide); // floor(224 / 0.875)
        Assert.Equal((0.485f, 0.456f, 0.406f), options.Mean);
    }

    [Theory]
    [InlineData("interpolation", "\"bilinear\"", "pretrained_cfg.interpolation")]
    [InlineData("crop_mode", "\"squash\"", "pretrained_cfg.crop_mode")]
    [InlineData("crop_pct", "0", "pretrained_cfg.crop_pct")]
    [InlineData("crop_pct", "\"0.9\"", "pretrained_cfg.crop_pct")]
    [InlineData("crop_pct", "500", "pretrained_cfg.crop_pct")]
    [InlineData("input_size", "[3, 224, 160]", "pretrained_cfg.input_size")]
    [InlineData("input_size", "[1, 224, 224]", "pretrained_cfg.input_size")]
    [InlineData("input_size", "[224, 224]", "pretrained_cfg.input_size")]
    [InlineData("input_size", "[3, 0, 0]", "pretrained_cfg.input_size")]
    [InlineData("input_size", null, "pretrained_cfg.input_size")]
    [InlineData("mean", "[0.5, 0.5]", "pretrained_cfg.mean")]
    [InlineData("mean", "\"imagenet\"", "pretrained_cfg.mean")]
    [InlineData("std", "[0.5, 0, 0.5]", "pretrained_cfg.std")]
    [InlineData("std", "[0.5, -0.5, 0.5]", "pretrained_cfg.std")]
    [InlineData("std", "[1e-50, 0.5, 0.5]", "pretrained_cfg.std")] // positive, but 0 as a float
    [InlineData("std", null, "pretrained_cfg.std")]
    public void Bad_timm_fields_are_rejected_naming_the_file_and_field(string field, string? json, string qualified)
    {
        var e = Assert.Throws<SieveFormatException>(() => PreprocessOptions.FromTimmConfig(TimmWith(field, json), "vit/config.json"));

        Assert.StartsWith($"vit/config.json: {qualified} ", e.Message);
        Assert.Contains(json == null ? "is missing" : $"found {json.Replace(" ", "")}", e.Message);
    }

    [Fact]
    public void Timm_config_must_be_an_object()
    {
        var e = Assert.Throws<SieveFormatException>(() => PreprocessOptions.FromTimmConfig(Json("[1]")));

        Assert.Contains("pretrained_cfg must be a JSON object, found [1]", e.Message);
    }

    [Theory]
    [InlineData(500, 375, 331, 248)] // 500·248/375 = 330.67
    [InlineData(375, 500, 248, 331)]
    [InlineData(17, 16, 264, 248)]   // 17·248/16 = 263.5: half to even goes up...
    [InlineData(19, 16, 294, 248)]   // 19·248/16 = 294.5: ...and down
    [InlineData(16, 19, 248, 294)]
    [InlineData(248, 248, 248, 248)]
    [InlineData(1, 1000, 248, 248000)]
    public void Python_rounding_is_half_to_even(int width, int height, int newWidth, int newHeight)
    {
        Assert.Equal((newWidth, newHeight), ExpectedVitTiny.ResizedSize(width, height));
    }

    [Theory]
    [InlineData(17, 16, 238, 224)] // 224·17/16 = 238
    [InlineData(500, 375, 298, 224)] // 224·500/375 = 298.67 truncates
    [InlineData(3, 2, 336, 224)]
    [InlineData(16, 19, 224, 266)] // 224·19/16 = 266
    [InlineData(15, 11, 305, 224)] // 224·15/11 = 305.45
    public void Hugging_face_rounding_truncates(int width, int height, int newWidth, int newHeight)
    {
        Assert.Equal((newWidth, newHeight), PreprocessOptions.ClipDefaults.ResizedSize(width, height));
    }

    [Fact]
    public void Truncation_and_python_rounding_differ_where_the_fraction_is_large()
    {
        var truncating = new PreprocessOptions(248, 224, 224, (0, 0, 0), (1, 1, 1), ResizeRounding.Truncate);

        Assert.Equal((331, 248), ExpectedVitTiny.ResizedSize(500, 375));
        Assert.Equal((330, 248), truncating.ResizedSize(500, 375));
    }

    [Fact]
    public void Clip_defaults_are_openai_clip()
    {
        var options = PreprocessOptions.ClipDefaults;

        Assert.Equal((224, 224, 224), (options.ResizeShorterSide, options.CropWidth, options.CropHeight));
        Assert.Equal((0.48145466f, 0.4578275f, 0.40821073f), options.Mean);
        Assert.Equal((0.26862954f, 0.26130258f, 0.27577711f), options.Std);
        Assert.Equal(ResizeRounding.Truncate, options.Rounding);
    }

    [Fact]
    public void Clip_config_in_the_old_integer_form()
    {
        var cfg = Json("""
            {"crop_size": 336, "do_center_crop": true, "do_normalize": true, "do_resize": true,
             "feature_extractor_type": "CLIPFeatureExtractor",
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
             "resample": 3, "size": 336}
            """);

        var options = PreprocessOptions.ForClip(cfg);

        Assert.Equal(PreprocessOptions.ClipDefaults.Std, options.Std);
        Assert.Equal((336, 336, 336), (options.ResizeShorterSide, options.CropWidth, options.CropHeight));
    }

    [Fact]
    public void Clip_config_in_the_new_object_form()
    {
        var cfg = Json("""
            {"crop_size": {"height": 200, "width": 240}, "do_convert_rgb": true, "do_rescale": true,
             "rescale_factor": 0.00392156862745098, "image_processor_type": "CLIPImageProcessor",
             "image_mean": [0.5, 0.4, 0.3], "image_std": [0.2, 0.3, 0.4], "size": {"shortest_edge": 256}}
            """);

        var options = PreprocessOptions.ForClip(cfg);

        Assert.Equal(new PreprocessOptions(256, 240, 200, (0.5f, 0.4f, 0.3f), (0.2f, 0.3f, 0.4f), ResizeRounding.Truncate), options);
    }

    [Fact]
    public void Clip_config_without_normalisation_keeps_the_zero_to_one_range()
    {
        var options = PreprocessOptions.ForClip(Json("""{"do_normalize": false, "image_std": [0.2, 0.3, 0.4]}"""));

        Assert.Equal(((0f, 0f, 0f), (1f, 1f, 1f)), (options.Mean, options.Std));
    }

    [Theory]
    [InlineData("""{"resample": 2}""", "resample")]
    [InlineData("""{"resample": "bicubic"}""", "resample")]
    [InlineData("""{"do_center_crop": false}""", "do_center_crop")]
    [InlineData("""{"do_resize": "yes"}""", "do_resize")]
    [InlineData("""{"do_rescale": false}""", "do_rescale")]
    [InlineData("""{"rescale_factor": 1.0}""", "rescale_factor")]
    [InlineData("""{"size": 0}""", "size")]
    [InlineData("""{"size": {"height": 224, "width": 224}}""", "size.shortest_edge")]
    [InlineData("""{"crop_size": -3}""", "crop_size")]
    [InlineData("""{"crop_size": {"height": 224}}""", "crop_size.width")]
    [InlineData("""{"crop_size": {"height": 224, "width": 22.5}}""", "crop_size.width")]
    [InlineData("""{"image_mean": [0.5, 0.5, 0.5, 0.5]}""", "image_mean")]
    [InlineData("""{"image_std": [0.2, 0.0, 0.4]}""", "image_std")]
    public void Bad_clip_fields_are_rejected_naming_the_file_and_field(string json, string field)
    {
        var e = Assert.Throws<SieveFormatException>(() => PreprocessOptions.ForClip(Json(json), "clip/preprocessor_config.json"));

        Assert.StartsWith($"clip/preprocessor_config.json: {field} ", e.Message);
    }

    [Fact]
    public void Clip_model_directory_without_a_config_gets_the_defaults()
    {
        var dir = Directory.CreateTempSubdirectory("sieve-clip-");
        try
        {
            Assert.Same(PreprocessOptions.ClipDefaults, PreprocessOptions.ForClip(dir.FullName));

            string path = Path.Combine(dir.FullName, "preprocessor_config.json");
            File.WriteAllText(path, """{"size": {"shortest_edge": 288}, "crop_size": 288}""");
            Assert.Equal(288, PreprocessOptions.ForClip(dir.FullName).CropWidth);

            File.WriteAllText(path, """{"size": """);
            var e = Assert.Throws<SieveFormatException>(() => PreprocessOptions.ForClip(dir.FullName));
            Assert.StartsWith(path + ": ", e.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_constructor_rejects_invalid_values()
    {
        (float, float, float) half = (0.5f, 0.5f, 0.5f);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreprocessOptions(0, 224, 224, half, half, ResizeRounding.PythonRound));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreprocessOptions(248, -224, 224, half, half, ResizeRounding.PythonRound));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreprocessOptions(248, 224, 0, half, half, ResizeRounding.PythonRound));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreprocessOptions(248, 224, 224, (float.NaN, 0, 0), half, ResizeRounding.PythonRound));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreprocessOptions(248, 224, 224, half, (0.5f, 0f, 0.5f), ResizeRounding.PythonRound));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreprocessOptions(248, 224, 224, half, (0.5f, float.PositiveInfinity, 0.5f), ResizeRounding.PythonRound));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreprocessOptions(248, 224, 224, half, half, (ResizeRounding)7));
    }
}
