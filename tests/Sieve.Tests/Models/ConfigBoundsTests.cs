using System.Text.Json.Nodes;
using Sieve.Data;
using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Models;

/// <summary>
/// Absurd config values are refused as the config is read, naming the field, the allowed range and the value
/// (issue 12, defect 7: they used to end in OverflowException or IndexOutOfRangeException).
/// </summary>
public sealed class ConfigBoundsTests
{
    /// <summary>Sets the value at a dotted path of the model's <paramref name="file"/>.</summary>
    static void Edit(string directory, string path, JsonNode value, string file = "config.json")
    {
        string configPath = Path.Combine(directory, file);
        var root = File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath))!.AsObject() : [];
        var parts = path.Split('.');
        var node = root;
        foreach (var part in parts[..^1])
            node = node[part] as JsonObject ?? (JsonObject)(node[part] = new JsonObject());
        node[parts[^1]] = value;
        File.WriteAllText(configPath, root.ToJsonString());
    }

    static void AssertRefused(Action load, params string[] mentions)
    {
        var e = Assert.Throws<SieveFormatException>(load);
        foreach (var m in mentions) Assert.Contains(m, e.Message);
    }

    [Theory]
    [InlineData("model_args.img_size", 160000, "4096")]
    [InlineData("model_args.embed_dim", 1 << 20, "8192")]
    [InlineData("model_args.depth", 100000, "256")]
    [InlineData("pretrained_cfg.input_size", 0, "4096")] // set below to [3, 160000, 160000]
    [InlineData("num_classes", int.MaxValue, "131072")]
    public void Vit_sizes_beyond_the_limits_are_refused_naming_field_range_and_value(string field, int value, string limit)
    {
        using var ck = TinyModels.Vit(71, DType.F32);
        JsonNode node = field.EndsWith("input_size") ? new JsonArray(3, 160000, 160000) : value;
        Edit(ck.Directory, field, node);

        AssertRefused(() => VitModel.Load(ck.Directory), field, limit, field.EndsWith("input_size") ? "160000" : value.ToString());
    }

    [Fact]
    public void Vit_mlp_ratio_of_1e12_is_refused()
    {
        using var ck = TinyModels.Vit(72, DType.F32);
        Edit(ck.Directory, "model_args.mlp_ratio", 1e12);

        AssertRefused(() => VitModel.Load(ck.Directory), "model_args.mlp_ratio", "32768", "48000000000000");
    }

    [Fact]
    public void Vit_crop_pct_of_1e_minus_9_is_refused()
    {
        using var ck = TinyModels.Vit(73, DType.F32);
        Edit(ck.Directory, "pretrained_cfg.crop_pct", 1e-9);

        AssertRefused(() => VitModel.Load(ck.Directory), "pretrained_cfg.crop_pct", "4096", "1E-09");
    }

    [Fact]
    public void Vit_patch_count_beyond_the_limit_is_refused()
    {
        // Both sizes in range, but 4096 / 8 = 512 patches a side: 262,144 tokens.
        using var ck = TinyModels.Vit(74, DType.F32);
        Edit(ck.Directory, "model_args.img_size", 4096);
        Edit(ck.Directory, "pretrained_cfg.input_size", new JsonArray(3, 4096, 4096));
        Edit(ck.Directory, "pretrained_cfg.crop_pct", 1.0);

        AssertRefused(() => VitModel.Load(ck.Directory), "262144 patches", "16384");
    }

    [Theory]
    [InlineData("vision_config.image_size", 1 << 20, "4096")]
    [InlineData("vision_config.intermediate_size", int.MaxValue, "32768")]
    [InlineData("text_config.hidden_size", 1 << 30, "8192")]
    [InlineData("text_config.max_position_embeddings", 1 << 24, "8192")]
    [InlineData("text_config.vocab_size", 1 << 30, "131072")]
    [InlineData("projection_dim", 1 << 20, "8192")]
    public void Clip_sizes_beyond_the_limits_are_refused(string field, int value, string limit)
    {
        using var ck = TinyModels.Clip(75, DType.F32);
        Edit(ck.Directory, field, value);

        AssertRefused(() => ClipModel.Load(ck.Directory), field, limit, value.ToString());
    }

    [Theory]
    [InlineData("size", 1_000_000_000)]
    [InlineData("size.shortest_edge", 100_000)]
    [InlineData("crop_size", 5000)]
    public void Clip_preprocessor_sizes_beyond_the_limit_are_refused(string field, int value)
    {
        using var folder = new TempFolder();
        Edit(folder.Path, field, value, "preprocessor_config.json");

        AssertRefused(() => PreprocessOptions.ForClip(folder.Path), field, "4096", value.ToString());
    }

    [Theory]
    [InlineData("image_size", 1 << 20, "4096")]
    [InlineData("intermediate_size", int.MaxValue, "32768")]
    [InlineData("max_position_embeddings", 1 << 24, "8192")]
    [InlineData("max_image_length", 1 << 24, "16384")]
    public void Vilt_sizes_beyond_the_limits_are_refused(string field, int value, string limit)
    {
        using var ck = TinyVilt.Write(76);
        Edit(ck.Directory, field, value);

        AssertRefused(() => ViltModel.Load(ck.Directory), field, limit, value.ToString());
    }

    [Fact]
    public void Vilt_preprocessor_size_of_1e9_is_refused()
    {
        using var ck = TinyVilt.Write(77);
        Edit(ck.Directory, "size", 1_000_000_000, ViltImageProcessor.ConfigFile);

        AssertRefused(() => ViltModel.Load(ck.Directory), "preprocessor_config.json: size", "4096", "1000000000");
    }
}
