using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve convert</c> on an original Salesforce BLIP checkpoint (as CrossGET and MADTP release theirs).</summary>
public sealed partial class CliTests
{
    // Widths of 64 so the converted config's heads (64 channels each, as every released BLIP) are 1 — what the tiny model has.
    static readonly TinyBlip.Shape OriginalShape = new(VisionWidth: 64, VisionHeads: 1, VisionHidden: 96, TextWidth: 64, TextHeads: 1, TextHidden: 96);

    /// <summary>The Salesforce name of a Hugging Face BLIP tensor, written out by hand from BLIP's own code (vit.py, blip_retrieval.py).</summary>
    static string SalesforceName(string hf)
    {
        const string layers = "vision_model.encoder.layers.";
        if (hf == "vision_model.embeddings.class_embedding") return "visual_encoder.cls_token";
        if (hf == "vision_model.embeddings.position_embedding") return "visual_encoder.pos_embed";
        if (hf.StartsWith("vision_model.embeddings.patch_embedding.")) return "visual_encoder.patch_embed.proj." + hf.Split('.')[^1];
        if (hf.StartsWith("vision_model.post_layernorm.")) return "visual_encoder.norm." + hf.Split('.')[^1];
        if (hf.StartsWith(layers))
        {
            string rest = hf[layers.Length..];
            int dot = rest.IndexOf('.');
            string part = rest[(dot + 1)..].Replace("layer_norm1", "norm1").Replace("layer_norm2", "norm2")
                .Replace("self_attn.qkv", "attn.qkv").Replace("self_attn.projection", "attn.proj");
            return $"visual_encoder.blocks.{rest[..dot]}.{part}";
        }
        return hf; // text_encoder.…, vision_proj, text_proj, itm_head keep their names
    }

    /// <summary>
    /// Writes a tiny BLIP as Salesforce's <c>torch.save({"model": state_dict})</c> would: the model's tensors under their
    /// original names, two momentum-encoder copies, a queue, the temperature, and CrossGET's and MADTP's parameters.
    /// Returns the Hugging Face folder (with the original 1e-6 vision LayerNorm) and the original folder.
    /// </summary>
    (TinyCheckpoint Hf, string Original, Dictionary<string, float[]> Extra) WriteSalesforceBlip(BlipArchitecture architecture = BlipArchitecture.ImageTextRetrieval)
    {
        var hf = TinyBlip.Write(811, OriginalShape, editConfig: c => ((Dictionary<string, object>)c["vision_config"])["layer_norm_eps"] = 1e-6,
            architecture: architecture);
        var save = new TorchSave();
        var tensors = new List<(string, PyTensor)>();
        void Add(string name, int[] shape, float[] values)
        {
            long[] dims = [.. shape.Select(s => (long)s)];
            tensors.Add((name, new PyTensor(save.Add("FloatStorage", TorchCheckpoints.Bytes(values, DType.F32)), 0, dims, TorchSave.Contiguous(dims))));
        }
        foreach (var (name, shape) in hf.Order) Add(SalesforceName(name), shape, hf.Stored[name]);
        var pattern = (int n, float scale) => Enumerable.Range(0, n).Select(i => MathF.Sin(i * scale) * 0.3f).ToArray();
        var extra = new Dictionary<string, float[]>
        {
            ["visual_encoder.cross_image"] = pattern(2 * 64, 0.7f),
            ["space_dict"] = pattern(5 * 8, 1.3f),
            ["visual_encoder.img_query_model.q_map.0.weight"] = pattern(8 * 64, 0.9f),
            ["visual_encoder.img_query_model.q_map.0.bias"] = new float[8],
            ["text_encoder.txt_query_model.q_map.0.weight"] = pattern(8 * 64, 0.4f),
            ["text_encoder.txt_query_model.q_map.0.bias"] = pattern(8, 2.1f),
        };
        Add("visual_encoder.cross_image", [1, 2, 64], extra["visual_encoder.cross_image"]);
        Add("space_dict", [5, 8], extra["space_dict"]);
        Add("visual_encoder.img_query_model.q_map.0.weight", [8, 64], extra["visual_encoder.img_query_model.q_map.0.weight"]);
        Add("visual_encoder.img_query_model.q_map.0.bias", [8], extra["visual_encoder.img_query_model.q_map.0.bias"]);
        Add("text_encoder.txt_query_model.q_map.0.weight", [8, 64], extra["text_encoder.txt_query_model.q_map.0.weight"]);
        Add("text_encoder.txt_query_model.q_map.0.bias", [8], extra["text_encoder.txt_query_model.q_map.0.bias"]);
        Add("visual_encoder_m.cls_token", [1, 1, 64], pattern(64, 0.2f));
        Add("text_proj_m.weight", [16, 64], pattern(16 * 64, 0.2f));
        Add("image_queue", [16, 4], pattern(64, 0.5f));
        Add("temp", [], [0.07f]);

        string original = Path.Combine(_temp.Path, "salesforce");
        Directory.CreateDirectory(original);
        save.Save(Path.Combine(original, "model_base_retrieval_coco.pth"), new PyDict([("model", TorchSave.StateDict(tensors))]), protocol: 2);
        foreach (string file in new[] { "vocab.txt", "tokenizer.json" }) File.Copy(Path.Combine(hf.Directory, file), Path.Combine(original, file));
        return (hf, original, extra);
    }

    [Fact]
    public void ConvertMapsASalesforceBlipCheckpointOntoTheHuggingFaceLayoutWithItsGuidance()
    {
        var (hf, original, extra) = WriteSalesforceBlip();
        using var _ = hf;
        string output = Path.Combine(_temp.Path, "converted");

        var run = CliRun.Of("convert", "--model", original, "--out", output);

        Assert.True(run.Code == 0, run.Output);
        Assert.Contains("the Salesforce BLIP layout", run.Stderr);
        // Every tensor not carried is named with its reason.
        Assert.Contains("left out 2 tensor(s), momentum encoder (training only): text_proj_m.weight, visual_encoder_m.cls_token", run.Stderr);
        Assert.Contains("contrastive queue (training only): image_queue", run.Stderr);
        Assert.Contains("contrastive temperature (training only; retrieval ranks by cosine): temp", run.Stderr);
        Assert.Contains("non-zero bias", run.Stderr);
        Assert.Contains("text_encoder.txt_query_model.q_map.0.bias, text_encoder.txt_query_model.q_map.0.weight", run.Stderr);

        // The weights: every Hugging Face tensor, bit for bit, under its Hugging Face name, and nothing else.
        using (var converted = SafetensorsFile.Open(Path.Combine(output, CheckpointFiles.SingleFile)))
        {
            Assert.Equal(hf.Order.Select(t => t.Name).Order(StringComparer.Ordinal), converted.Tensors.Keys);
            foreach (var (name, shape) in hf.Order)
            {
                Assert.Equal(shape, converted.Get(name).Shape.ToArray());
                Assert.Equal(hf.Stored[name], converted.ReadFloats(name));
            }
        }
        // The config read off the shapes gives the same model: identical outputs.
        var image = new RgbImage(40, 30, [.. Enumerable.Range(0, 40 * 30 * 3).Select(i => (byte)(i * 37 % 251))]);
        var expected = BlipModel.Load(hf.Directory);
        var actual = BlipModel.Load(output);
        Assert.Equal(expected.EncodeImage(image), actual.EncodeImage(image));
        Assert.Equal(expected.Match(image, "a cat on the sofa"), actual.Match(image, "a cat on the sofa"));

        // The guidance: CrossGET's offsets and MADTP's tokens and (bias-free) vision map, bound to the converted model.
        var guidance = ReductionGuidance.Load(Path.Combine(output, ModelConversion.GuidanceFile), output);
        Assert.Equal(extra["visual_encoder.cross_image"], guidance.CrossTokenOffsets(actual.Vision.Info));
        Assert.Equal(extra["space_dict"], guidance.MagTokens!.Tokens.ToArray());
        var maps = guidance.MagMaps(actual.Vision.Info)!;
        var map = extra["visual_encoder.img_query_model.q_map.0.weight"];
        Assert.Equal(map, maps[..map.Length]);
        Assert.Equal(map, maps[map.Length..]);
        Assert.Null(guidance.MagMaps(actual.Text.Info));
        Assert.Contains($"wrote crossget.vision.offsets, madtp.tokens, madtp.vision.maps into {Path.Combine(output, ModelConversion.GuidanceFile)}", run.Stderr);
    }

    [Fact]
    public void ConvertedSalesforceCaptioningCheckpointCaptionsAsTheHuggingFaceOne()
    {
        var (hf, original, _) = WriteSalesforceBlip(BlipArchitecture.ConditionalGeneration);
        using var _ = hf;
        string output = Path.Combine(_temp.Path, "converted-caption");

        var run = CliRun.Of("convert", "--model", original, "--out", output);

        Assert.True(run.Code == 0, run.Output);
        var image = new RgbImage(40, 30, [.. Enumerable.Range(0, 40 * 30 * 3).Select(i => (byte)(i * 53 % 251))]);
        var expected = BlipGenerator.Load(hf.Directory);
        var actual = BlipGenerator.Load(output);
        Assert.Equal(BlipArchitecture.ConditionalGeneration, actual.Architecture);
        // [DEC] and [SEP] come from the folder's tokenizer files, so decoding starts and stops where the original does.
        Assert.Equal(expected.Config.BosTokenId, actual.Config.BosTokenId);
        Assert.Equal(expected.Config.SepTokenId, actual.Config.SepTokenId);
        var options = new Sieve.Models.Generation.GenerationOptions(MaxLength: 12, Beams: 2);
        Assert.NotEqual("", expected.Caption(image, null, options));
        Assert.Equal(expected.Caption(image, "a photo of", options), actual.Caption(image, "a photo of", options));
        Assert.Equal(expected.Caption(image, null, options), actual.Caption(image, null, options));
    }

    [Fact]
    public void ConvertRefusesACheckpointWithoutConfigInALayoutItDoesNotMap()
    {
        using var ck = TinyModels.Vit(302, DType.F32);
        string source = Path.Combine(_temp.Path, "bare"), output = Path.Combine(_temp.Path, "out");
        Directory.CreateDirectory(source);
        var (save, stateDict) = TorchCheckpoints.Build(ck, TorchLayout.PerTensor);
        save.Save(Path.Combine(source, "weights.pth"), stateDict);

        var run = CliRun.Of("convert", "--model", source, "--out", output);

        Assert.Equal(2, run.Code);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        Assert.Contains("there is no config.json beside it", run.Stderr);
        Assert.Contains("not in a layout Sieve maps", run.Stderr);
        Assert.False(Directory.Exists(output));
    }
}
