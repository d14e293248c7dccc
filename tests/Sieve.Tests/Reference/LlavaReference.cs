namespace Sieve.Tests.Reference;

/// <summary>
/// Float64 Hugging Face LLaVA written from the transformers definitions (<c>LlavaForConditionalGeneration</c>,
/// <c>LlamaForCausalLM</c>), over raw named weights in the pre-4.52 layout: a full recompute of every position, no cache.
/// </summary>
public static class LlavaReference
{
    /// <summary>The shape the reference needs (a copy of the checkpoint's config values).</summary>
    public sealed record Dims(int VisionWidth, int VisionLayersRun, int VisionHeads, int VisionHidden, int ImageSize, int Patch,
        int Width, int Layers, int Heads, int KvHeads, int HeadDim, int Hidden, int Vocab, double RopeTheta, double RmsEps, bool Tied);

    /// <summary>The projected visual tokens [patches, Width]: the vision tower's hidden_states[layers run], class token dropped, through the projector.</summary>
    public static double[] ImageFeatures(Func<string, double[]> w, double[] pixels, Dims s)
    {
        Func<string, double[]> vision = n => w("vision_tower." + n);
        int t = (s.ImageSize / s.Patch) * (s.ImageSize / s.Patch) + 1, dv = s.VisionWidth, n = t - 1;
        var x = ClipReference.EmbedImage(vision, pixels, s.ImageSize, s.Patch, dv, 1e-5);
        x = ClipReference.Encoder(vision, "vision_model", x, t, dv, s.VisionLayersRun, s.VisionHeads, s.VisionHidden, quickGelu: true, causal: false, 1e-5);
        var h = Ref64.Linear(x[dv..], n, w("multi_modal_projector.linear_1.weight"), w("multi_modal_projector.linear_1.bias"), dv, s.Width);
        for (int i = 0; i < h.Length; i++) h[i] = Ref64.Gelu(h[i]);
        return Ref64.Linear(h, n, w("multi_modal_projector.linear_2.weight"), w("multi_modal_projector.linear_2.bias"), s.Width, s.Width);
    }

    /// <summary>
    /// Logits [T, Vocab] at every position of <paramref name="ids"/>, each image placeholder replaced by the next row of
    /// <paramref name="image"/>; <paramref name="keyLogSizes"/> (null, or one per position) is added to every attention
    /// logit of that key (proportional attention).
    /// </summary>
    public static double[] Logits(Func<string, double[]> w, int[] ids, int imageToken, double[] image, Dims s, double[]? keyLogSizes = null)
    {
        int t = ids.Length, d = s.Width;
        var embed = w("language_model.model.embed_tokens.weight");
        var x = new double[t * d];
        for (int i = 0, v = 0; i < t; i++)
        {
            // Placeholders take the image rows in order (masked_scatter); other ids their embedding.
            var (source, row) = ids[i] == imageToken ? (image, v++) : (embed, ids[i]);
            Array.Copy(source, row * d, x, i * d, d);
        }
        for (int l = 0; l < s.Layers; l++)
        {
            string p = $"language_model.model.layers.{l}.";
            var h = RmsNorm(x, t, d, w(p + "input_layernorm.weight"), s.RmsEps);
            var a = Attention(h, t, s, w(p + "self_attn.q_proj.weight"), w(p + "self_attn.k_proj.weight"), w(p + "self_attn.v_proj.weight"), w(p + "self_attn.o_proj.weight"), keyLogSizes);
            for (int i = 0; i < x.Length; i++) x[i] += a[i];
            h = RmsNorm(x, t, d, w(p + "post_attention_layernorm.weight"), s.RmsEps);
            var gate = Ref64.Linear(h, t, w(p + "mlp.gate_proj.weight"), null, d, s.Hidden);
            var up = Ref64.Linear(h, t, w(p + "mlp.up_proj.weight"), null, d, s.Hidden);
            for (int i = 0; i < gate.Length; i++) gate[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
            var m = Ref64.Linear(gate, t, w(p + "mlp.down_proj.weight"), null, s.Hidden, d);
            for (int i = 0; i < x.Length; i++) x[i] += m[i];
        }
        x = RmsNorm(x, t, d, w("language_model.model.norm.weight"), s.RmsEps);
        return Ref64.Linear(x, t, s.Tied ? embed : w("language_model.lm_head.weight"), null, d, s.Vocab);
    }

    public static double[] RmsNorm(double[] x, int rows, int d, double[] g, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int c = 0; c < d; c++) ss += x[r * d + c] * x[r * d + c];
            double scale = 1 / Math.Sqrt(ss / d + eps);
            for (int c = 0; c < d; c++) y[r * d + c] = g[c] * x[r * d + c] * scale;
        }
        return y;
    }

    /// <summary>rotate_half RoPE of one head vector at <paramref name="position"/>: (x·cos + rotate_half(x)·sin).</summary>
    public static void Rope(double[] x, int offset, int dh, int position, double theta)
    {
        int half = dh / 2;
        for (int i = 0; i < half; i++)
        {
            double angle = position / Math.Pow(theta, 2.0 * i / dh);
            double a = x[offset + i], b = x[offset + i + half];
            x[offset + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
            x[offset + i + half] = b * Math.Cos(angle) + a * Math.Sin(angle);
        }
    }

    /// <summary>Causal grouped-query attention: query head h reads key/value head h / (Heads / KvHeads) (repeat_kv).</summary>
    static double[] Attention(double[] x, int t, Dims s, double[] qW, double[] kW, double[] vW, double[] oW, double[]? keyLogSizes)
    {
        int d = s.Width, dh = s.HeadDim, qd = s.Heads * dh, kd = s.KvHeads * dh, group = s.Heads / s.KvHeads;
        var q = Ref64.Linear(x, t, qW, null, d, qd);
        var k = Ref64.Linear(x, t, kW, null, d, kd);
        var v = Ref64.Linear(x, t, vW, null, d, kd);
        for (int i = 0; i < t; i++)
        {
            for (int h = 0; h < s.Heads; h++) Rope(q, i * qd + h * dh, dh, i, s.RopeTheta);
            for (int h = 0; h < s.KvHeads; h++) Rope(k, i * kd + h * dh, dh, i, s.RopeTheta);
        }
        var ctx = new double[t * qd];
        var scores = new double[t];
        for (int h = 0; h < s.Heads; h++)
        {
            int g = h / group;
            for (int i = 0; i < t; i++)
            {
                for (int j = 0; j <= i; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < dh; c++) dot += q[i * qd + h * dh + c] * k[j * kd + g * dh + c];
                    scores[j] = dot / Math.Sqrt(dh) + (keyLogSizes?[j] ?? 0);
                }
                Ref64.SoftmaxInPlace(scores, 0, i + 1);
                for (int c = 0; c < dh; c++)
                {
                    double acc = 0;
                    for (int j = 0; j <= i; j++) acc += scores[j] * v[j * kd + g * dh + c];
                    ctx[i * qd + h * dh + c] = acc;
                }
            }
        }
        return Ref64.Linear(ctx, t, oW, null, qd, d);
    }
}
