using Sieve.Tests.Support;

namespace Sieve.Tests.Reference;

/// <summary>
/// Float64 Hugging Face <c>BlipForImageTextRetrieval</c> written from the transformers definition over raw named
/// weights: <c>BlipVisionModel</c> (pre-norm layers, fused qkv, <c>post_layernorm</c> on every token), the BERT
/// <c>BlipTextModel</c> (post-norm layers; cross-attention only when image states are given) and the
/// <c>use_itm_head</c> True / False outputs.
/// </summary>
public static class BlipReference
{
    /// <summary>The vision tower's last hidden state after <c>post_layernorm</c>, [tokens, D_v].</summary>
    public static double[] ImageStates(Func<string, double[]> w, TinyBlip.Shape s, double[] pixels)
    {
        int d = s.VisionWidth, n = s.Tokens;
        string e = "vision_model.embeddings.";
        var x = Ref64.PatchEmbedWithClassRow(pixels, s.ImageSize, s.Patch, w(e + "patch_embedding.weight"), w(e + "patch_embedding.bias"), d);
        var cls = w(e + "class_embedding");
        var pos = w(e + "position_embedding");
        for (int c = 0; c < d; c++) x[c] = cls[c];
        for (int i = 0; i < x.Length; i++) x[i] += pos[i];
        for (int l = 0; l < s.VisionLayers; l++)
        {
            string p = $"vision_model.encoder.layers.{l}.";
            var h = Ref64.LayerNorm(x, n, w(p + "layer_norm1.weight"), w(p + "layer_norm1.bias"), TinyBlip.Shape.VisionEps);
            var a = Ref64.Attention(h, n, d, s.VisionHeads, w(p + "self_attn.qkv.weight"), w(p + "self_attn.qkv.bias"),
                w(p + "self_attn.projection.weight"), w(p + "self_attn.projection.bias"), causal: false);
            for (int i = 0; i < x.Length; i++) x[i] += a[i];
            h = Ref64.LayerNorm(x, n, w(p + "layer_norm2.weight"), w(p + "layer_norm2.bias"), TinyBlip.Shape.VisionEps);
            var f = Ref64.Linear(h, n, w(p + "mlp.fc1.weight"), w(p + "mlp.fc1.bias"), d, s.VisionHidden).Select(Ref64.Gelu).ToArray();
            var m = Ref64.Linear(f, n, w(p + "mlp.fc2.weight"), w(p + "mlp.fc2.bias"), s.VisionHidden, d);
            for (int i = 0; i < x.Length; i++) x[i] += m[i];
        }
        return Ref64.LayerNorm(x, n, w("vision_model.post_layernorm.weight"), w("vision_model.post_layernorm.bias"), TinyBlip.Shape.VisionEps);
    }

    /// <summary>
    /// The text encoder's last hidden state [tokens, D_t]; with <paramref name="image"/> ([M, D_v]) each layer cross-attends
    /// to it. <paramref name="prefix"/> and <paramref name="causal"/> make it the text decoder's BERT (<c>text_decoder.bert.</c>, causal).
    /// </summary>
    public static double[] TextStates(Func<string, double[]> w, TinyBlip.Shape s, int[] ids, double[]? image, string prefix = "text_encoder.", bool causal = false)
    {
        int d = s.TextWidth, t = ids.Length;
        string e = prefix + "embeddings.";
        var words = w(e + "word_embeddings.weight");
        var positions = w(e + "position_embeddings.weight");
        var x = new double[t * d];
        for (int i = 0; i < t; i++)
            for (int c = 0; c < d; c++) x[i * d + c] = words[ids[i] * d + c] + positions[i * d + c];
        x = Ref64.LayerNorm(x, t, w(e + "LayerNorm.weight"), w(e + "LayerNorm.bias"), TinyBlip.Shape.TextEps);
        for (int l = 0; l < s.TextLayers; l++)
        {
            string p = $"{prefix}encoder.layer.{l}.";
            x = Sublayer(w, p + "attention", x, t, d, Heads(w, p + "attention", x, t, x, t, d, d, s.TextHeads, causal));
            if (image != null)
                x = Sublayer(w, p + "crossattention", x, t, d, Heads(w, p + "crossattention", x, t, image, image.Length / s.VisionWidth, d, s.VisionWidth, s.TextHeads));
            var f = Ref64.Linear(x, t, w(p + "intermediate.dense.weight"), w(p + "intermediate.dense.bias"), d, s.TextHidden).Select(Ref64.Gelu).ToArray();
            var o = Ref64.Linear(f, t, w(p + "output.dense.weight"), w(p + "output.dense.bias"), s.TextHidden, d);
            for (int i = 0; i < o.Length; i++) o[i] += x[i];
            x = Ref64.LayerNorm(o, t, w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"), TinyBlip.Shape.TextEps);
        }
        return x;
    }

    /// <summary>BERT's attention output: LayerNorm(dense(context) + x).</summary>
    static double[] Sublayer(Func<string, double[]> w, string p, double[] x, int t, int d, double[] context)
    {
        var y = Ref64.Linear(context, t, w(p + ".output.dense.weight"), w(p + ".output.dense.bias"), d, d);
        for (int i = 0; i < y.Length; i++) y[i] += x[i];
        return Ref64.LayerNorm(y, t, w(p + ".output.LayerNorm.weight"), w(p + ".output.LayerNorm.bias"), TinyBlip.Shape.TextEps);
    }

    /// <summary>softmax(q kᵀ/√d_h) v per head, queries from <paramref name="x"/>, keys and values from <paramref name="kv"/> ([m, width]); query i sees keys ≤ i when <paramref name="causal"/>.</summary>
    static double[] Heads(Func<string, double[]> w, string p, double[] x, int t, double[] kv, int m, int d, int kvWidth, int heads, bool causal = false)
    {
        var q = Ref64.Linear(x, t, w(p + ".self.query.weight"), w(p + ".self.query.bias"), d, d);
        var k = Ref64.Linear(kv, m, w(p + ".self.key.weight"), w(p + ".self.key.bias"), kvWidth, d);
        var v = Ref64.Linear(kv, m, w(p + ".self.value.weight"), w(p + ".self.value.bias"), kvWidth, d);
        int dh = d / heads;
        var context = new double[t * d];
        var scores = new double[m];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < t; i++)
            {
                int seen = causal ? i + 1 : m;
                for (int j = 0; j < seen; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < dh; c++) dot += q[i * d + h * dh + c] * k[j * d + h * dh + c];
                    scores[j] = dot / Math.Sqrt(dh);
                }
                Ref64.SoftmaxInPlace(scores, 0, seen);
                for (int c = 0; c < dh; c++)
                {
                    double sum = 0;
                    for (int j = 0; j < seen; j++) sum += scores[j] * v[j * d + h * dh + c];
                    context[i * d + h * dh + c] = sum;
                }
            }
        return context;
    }

    /// <summary><c>vision_proj</c> of the image [CLS] (not normalised).</summary>
    public static double[] ImageEmbedding(Func<string, double[]> w, TinyBlip.Shape s, double[] states) =>
        Ref64.Linear(states[..s.VisionWidth], 1, w("vision_proj.weight"), w("vision_proj.bias"), s.VisionWidth, s.ImageTextWidth);

    /// <summary><c>text_proj</c> of the text [CLS], the text encoded alone (not normalised).</summary>
    public static double[] TextEmbedding(Func<string, double[]> w, TinyBlip.Shape s, int[] ids) =>
        Ref64.Linear(TextStates(w, s, ids, null)[..s.TextWidth], 1, w("text_proj.weight"), w("text_proj.bias"), s.TextWidth, s.ImageTextWidth);

    /// <summary><c>use_itm_head=False</c>: normalize(image) · normalize(text).</summary>
    public static double ContrastiveScore(double[] image, double[] text)
    {
        double dot = 0, a = 0, b = 0;
        for (int i = 0; i < image.Length; i++) (dot, a, b) = (dot + image[i] * text[i], a + image[i] * image[i], b + text[i] * text[i]);
        return dot / (Math.Sqrt(a) * Math.Sqrt(b));
    }

    /// <summary><c>use_itm_head=True</c>: the matching head's logits (no match, match) of the fused text [CLS].</summary>
    public static double[] MatchLogits(Func<string, double[]> w, TinyBlip.Shape s, int[] ids, double[] imageStates) =>
        Ref64.Linear(TextStates(w, s, ids, imageStates)[..s.TextWidth], 1, w("itm_head.weight"), w("itm_head.bias"), s.TextWidth, 2);

    /// <summary><c>use_itm_head=True</c>, then softmax: the probability of class 1 (match).</summary>
    public static double MatchProbability(Func<string, double[]> w, TinyBlip.Shape s, int[] ids, double[] imageStates)
    {
        var logits = MatchLogits(w, s, ids, imageStates);
        Ref64.SoftmaxInPlace(logits, 0, 2);
        return logits[1];
    }
}
