using Sieve.Weights;

namespace Sieve.Tests.Support;

/// <summary>Tiny timm ViT and Hugging Face CLIP checkpoints in the exact tensor layouts.</summary>
public static class TinyModels
{
    public const int VitImage = 32, VitPatch = 8, VitWidth = 48, VitDepth = 2, VitHeads = 3, VitHidden = 192, VitClasses = 10;

    public static TinyCheckpoint Vit(int seed, DType dtype, Action<Dictionary<string, object>>? editConfig = null)
    {
        var ck = new TinyCheckpoint(seed, dtype);
        int d = VitWidth, t = (VitImage / VitPatch) * (VitImage / VitPatch) + 1;
        ck.Add("cls_token", [1, 1, d], 0.5f);
        ck.Add("pos_embed", [1, t, d], 0.5f);
        ck.Add("patch_embed.proj.weight", [d, 3, VitPatch, VitPatch], 0.05f);
        ck.Add("patch_embed.proj.bias", [d]);
        for (int l = 0; l < VitDepth; l++)
        {
            string p = $"blocks.{l}.";
            ck.Add(p + "norm1.weight", [d], 0.1f, 1f);
            ck.Add(p + "norm1.bias", [d]);
            ck.Add(p + "attn.qkv.weight", [3 * d, d], 0.2f);
            ck.Add(p + "attn.qkv.bias", [3 * d]);
            ck.Add(p + "attn.proj.weight", [d, d], 0.1f);
            ck.Add(p + "attn.proj.bias", [d]);
            ck.Add(p + "norm2.weight", [d], 0.1f, 1f);
            ck.Add(p + "norm2.bias", [d]);
            ck.Add(p + "mlp.fc1.weight", [VitHidden, d], 0.2f);
            ck.Add(p + "mlp.fc1.bias", [VitHidden]);
            ck.Add(p + "mlp.fc2.weight", [d, VitHidden], 0.1f);
            ck.Add(p + "mlp.fc2.bias", [d]);
        }
        ck.Add("norm.weight", [d], 0.1f, 1f);
        ck.Add("norm.bias", [d]);
        ck.Add("head.weight", [VitClasses, d], 0.3f);
        ck.Add("head.bias", [VitClasses]);
        var config = new Dictionary<string, object>
        {
            ["architecture"] = "vit_test_tiny",
            ["num_classes"] = VitClasses,
            ["num_features"] = d,
            ["global_pool"] = "token",
            ["model_args"] = new { embed_dim = d, depth = VitDepth, num_heads = VitHeads, patch_size = VitPatch, img_size = VitImage },
            ["pretrained_cfg"] = new
            {
                input_size = new[] { 3, VitImage, VitImage }, interpolation = "bicubic", crop_pct = 0.875, crop_mode = "center",
                mean = new[] { 0.5, 0.5, 0.5 }, std = new[] { 0.5, 0.5, 0.5 },
            },
            ["id2label"] = Enumerable.Range(0, VitClasses).ToDictionary(i => i.ToString(), i => $"class {i}"),
        };
        editConfig?.Invoke(config);
        ck.Save(config);
        return ck;
    }

    public const int ClipImage = 32, ClipPatch = 8, ClipVisionWidth = 32, ClipVisionHeads = 4, ClipVisionHidden = 64;
    public const int ClipTextWidth = 24, ClipTextHeads = 2, ClipTextHidden = 48, ClipVocab = 60, ClipPositions = 16, ClipLayers = 2, ClipProjection = 16;

    public static TinyCheckpoint Clip(int seed, DType dtype, string act = "quick_gelu", int positions = ClipPositions)
    {
        var ck = new TinyCheckpoint(seed, dtype);
        int dv = ClipVisionWidth, dt = ClipTextWidth, tv = (ClipImage / ClipPatch) * (ClipImage / ClipPatch) + 1;
        ck.Add("vision_model.embeddings.class_embedding", [dv], 0.5f);
        ck.Add("vision_model.embeddings.patch_embedding.weight", [dv, 3, ClipPatch, ClipPatch], 0.05f);
        ck.Add("vision_model.embeddings.position_embedding.weight", [tv, dv], 0.5f);
        AddNorm(ck, "vision_model.pre_layrnorm", dv);
        AddLayers(ck, "vision_model", dv, ClipVisionHidden);
        AddNorm(ck, "vision_model.post_layernorm", dv);
        ck.Add("visual_projection.weight", [ClipProjection, dv], 0.2f);
        ck.Add("text_model.embeddings.token_embedding.weight", [ClipVocab, dt], 0.5f);
        ck.Add("text_model.embeddings.position_embedding.weight", [positions, dt], 0.5f);
        AddLayers(ck, "text_model", dt, ClipTextHidden);
        AddNorm(ck, "text_model.final_layer_norm", dt);
        ck.Add("text_projection.weight", [ClipProjection, dt], 0.2f);
        ck.Add("logit_scale", [], 0.1f, 2.6592f);
        ck.Save(new
        {
            architectures = new[] { "CLIPModel" },
            model_type = "clip",
            projection_dim = ClipProjection,
            text_config = new
            {
                hidden_size = dt, intermediate_size = ClipTextHidden, num_attention_heads = ClipTextHeads, num_hidden_layers = ClipLayers,
                max_position_embeddings = positions, vocab_size = ClipVocab, hidden_act = act, layer_norm_eps = 1e-5, eos_token_id = 2,
            },
            vision_config = new
            {
                hidden_size = dv, intermediate_size = ClipVisionHidden, num_attention_heads = ClipVisionHeads, num_hidden_layers = ClipLayers,
                image_size = ClipImage, patch_size = ClipPatch, hidden_act = act, layer_norm_eps = 1e-5,
            },
        });
        return ck;
    }

    static void AddNorm(TinyCheckpoint ck, string p, int d)
    {
        ck.Add(p + ".weight", [d], 0.1f, 1f);
        ck.Add(p + ".bias", [d]);
    }

    static void AddLayers(TinyCheckpoint ck, string tower, int d, int hidden)
    {
        for (int l = 0; l < ClipLayers; l++)
        {
            string p = $"{tower}.encoder.layers.{l}.";
            AddNorm(ck, p + "layer_norm1", d);
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                ck.Add(p + $"self_attn.{proj}.weight", [d, d], 0.2f);
                ck.Add(p + $"self_attn.{proj}.bias", [d]);
            }
            AddNorm(ck, p + "layer_norm2", d);
            ck.Add(p + "mlp.fc1.weight", [hidden, d], 0.2f);
            ck.Add(p + "mlp.fc1.bias", [hidden]);
            ck.Add(p + "mlp.fc2.weight", [d, hidden], 0.1f);
            ck.Add(p + "mlp.fc2.bias", [d]);
        }
    }
}
