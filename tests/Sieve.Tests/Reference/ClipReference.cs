namespace Sieve.Tests.Reference;

/// <summary>Float64 Hugging Face CLIP towers written from the transformers definition, over raw named weights.</summary>
public static class ClipReference
{
    internal static double[] Encoder(Func<string, double[]> w, string prefix, double[] x, int t, int d, int layers, int heads, int hidden, bool quickGelu, bool causal, double eps)
    {
        for (int l = 0; l < layers; l++)
        {
            string p = $"{prefix}.encoder.layers.{l}.";
            var h = Ref64.LayerNorm(x, t, w(p + "layer_norm1.weight"), w(p + "layer_norm1.bias"), eps);
            var qkvW = w(p + "self_attn.q_proj.weight").Concat(w(p + "self_attn.k_proj.weight")).Concat(w(p + "self_attn.v_proj.weight")).ToArray();
            var qkvB = w(p + "self_attn.q_proj.bias").Concat(w(p + "self_attn.k_proj.bias")).Concat(w(p + "self_attn.v_proj.bias")).ToArray();
            var a = Ref64.Attention(h, t, d, heads, qkvW, qkvB, w(p + "self_attn.out_proj.weight"), w(p + "self_attn.out_proj.bias"), causal);
            for (int i = 0; i < x.Length; i++) x[i] += a[i];
            h = Ref64.LayerNorm(x, t, w(p + "layer_norm2.weight"), w(p + "layer_norm2.bias"), eps);
            var f = Ref64.Linear(h, t, w(p + "mlp.fc1.weight"), w(p + "mlp.fc1.bias"), d, hidden);
            for (int i = 0; i < f.Length; i++) f[i] = quickGelu ? Ref64.QuickGelu(f[i]) : Ref64.Gelu(f[i]);
            var m = Ref64.Linear(f, t, w(p + "mlp.fc2.weight"), w(p + "mlp.fc2.bias"), hidden, d);
            for (int i = 0; i < x.Length; i++) x[i] += m[i];
        }
        return x;
    }

    public static double[] Image(Func<string, double[]> w, double[] pixels, int image, int patch, int d, int layers, int heads, int hidden, int proj, bool quickGelu, double eps = 1e-5)
    {
        int t = (image / patch) * (image / patch) + 1;
        var x = EmbedImage(w, pixels, image, patch, d, eps);
        x = Encoder(w, "vision_model", x, t, d, layers, heads, hidden, quickGelu, causal: false, eps);
        var pooled = Ref64.LayerNorm(x[..d], 1, w("vision_model.post_layernorm.weight"), w("vision_model.post_layernorm.bias"), eps);
        return Ref64.Linear(pooled, 1, w("visual_projection.weight"), null, d, proj);
    }

    /// <summary>Runs all given ids (padding included, as transformers does) and pools at the first <paramref name="eos"/>.</summary>
    public static double[] Text(Func<string, double[]> w, int[] ids, int eos, int d, int layers, int heads, int hidden, int proj, bool quickGelu, double eps = 1e-5)
    {
        int t = ids.Length;
        var x = EmbedText(w, ids, d);
        x = Encoder(w, "text_model", x, t, d, layers, heads, hidden, quickGelu, causal: true, eps);
        x = Ref64.LayerNorm(x, t, w("text_model.final_layer_norm.weight"), w("text_model.final_layer_norm.bias"), eps);
        int at = Array.IndexOf(ids, eos);
        return Ref64.Linear(x[(at * d)..((at + 1) * d)], 1, w("text_projection.weight"), null, d, proj);
    }

    internal static double[] EmbedImage(Func<string, double[]> w, double[] pixels, int image, int patch, int d, double eps)
    {
        int t = (image / patch) * (image / patch) + 1;
        var x = Ref64.PatchEmbedWithClassRow(pixels, image, patch, w("vision_model.embeddings.patch_embedding.weight"), null, d);
        var cls = w("vision_model.embeddings.class_embedding");
        var pos = w("vision_model.embeddings.position_embedding.weight");
        for (int c = 0; c < d; c++) x[c] = cls[c];
        for (int i = 0; i < x.Length; i++) x[i] += pos[i];
        return Ref64.LayerNorm(x, t, w("vision_model.pre_layrnorm.weight"), w("vision_model.pre_layrnorm.bias"), eps);
    }

    static double[] EmbedText(Func<string, double[]> w, int[] ids, int d)
    {
        var x = new double[ids.Length * d];
        var tok = w("text_model.embeddings.token_embedding.weight");
        var pos = w("text_model.embeddings.position_embedding.weight");
        for (int i = 0; i < ids.Length; i++)
            for (int c = 0; c < d; c++) x[i * d + c] = tok[ids[i] * d + c] + pos[i * d + c];
        return x;
    }

    static Block64 Block(Func<string, double[]> w, string prefix, int l, int hidden, bool quickGelu, double eps)
    {
        string p = $"{prefix}.encoder.layers.{l}.";
        return new Block64(w(p + "layer_norm1.weight"), w(p + "layer_norm1.bias"),
            w(p + "self_attn.q_proj.weight").Concat(w(p + "self_attn.k_proj.weight")).Concat(w(p + "self_attn.v_proj.weight")).ToArray(),
            w(p + "self_attn.q_proj.bias").Concat(w(p + "self_attn.k_proj.bias")).Concat(w(p + "self_attn.v_proj.bias")).ToArray(),
            w(p + "self_attn.out_proj.weight"), w(p + "self_attn.out_proj.bias"), w(p + "layer_norm2.weight"), w(p + "layer_norm2.bias"),
            w(p + "mlp.fc1.weight"), w(p + "mlp.fc1.bias"), w(p + "mlp.fc2.weight"), w(p + "mlp.fc2.bias"), hidden, eps, quickGelu ? Ref64.QuickGelu : Ref64.Gelu);
    }

    /// <summary><see cref="Image"/> with a float64 reference reducer (class token protected and guiding); also the source maps per block.</summary>
    public static (double[] Embedding, List<int[]> Sources) ReducedImage(Func<string, double[]> w, double[] pixels, int image, int patch, int d, int layers, int heads, int hidden, int proj,
        bool quickGelu, IReducer64 reducer, Margins margins, double eps = 1e-5)
    {
        var x = EmbedImage(w, pixels, image, patch, d, eps);
        var tokens = new Tokens64(x, d, Enumerable.Repeat(true, x.Length / d).ToArray());
        tokens.Protected[0] = true;
        tokens.Guide = 0;
        var sources = ReducedEncoder64.Run(tokens, layers, l => Block(w, "vision_model", l, hidden, quickGelu, eps), heads, causal: false, reducer, proportional: true, margins);
        var pooled = Ref64.LayerNorm(tokens.X[tokens.Source[0]], 1, w("vision_model.post_layernorm.weight"), w("vision_model.post_layernorm.bias"), eps);
        return (Ref64.Linear(pooled, 1, w("visual_projection.weight"), null, d, proj), sources);
    }

    /// <summary>
    /// <see cref="Text"/> with a float64 reference reducer over the tokens up to end-of-text (what the causal mask
    /// lets reach it): start and end-of-text protected, end-of-text guiding and pooled.
    /// </summary>
    public static (double[] Embedding, List<int[]> Sources) ReducedText(Func<string, double[]> w, int[] ids, int eos, int d, int layers, int heads, int hidden, int proj,
        bool quickGelu, IReducer64 reducer, Margins margins, double eps = 1e-5)
    {
        int t = Array.IndexOf(ids, eos) + 1;
        var tokens = new Tokens64(EmbedText(w, ids[..t], d), d, new bool[t]);
        tokens.Protected[0] = tokens.Protected[t - 1] = true;
        tokens.Guide = t - 1;
        var sources = ReducedEncoder64.Run(tokens, layers, l => Block(w, "text_model", l, hidden, quickGelu, eps), heads, causal: true, reducer, proportional: true, margins);
        var pooled = Ref64.LayerNorm(tokens.X[tokens.Source[t - 1]], 1, w("text_model.final_layer_norm.weight"), w("text_model.final_layer_norm.bias"), eps);
        return (Ref64.Linear(pooled, 1, w("text_projection.weight"), null, d, proj), sources);
    }
}
