namespace Sieve.Tests.Reference;

/// <summary>Float64 timm ViT forward written from the timm definition, over raw named weights.</summary>
public static class VitReference
{
    public static double[] Logits(Func<string, double[]> w, double[] pixels, int image, int patch, int d, int depth, int heads, int hidden, int classes, double eps = 1e-6)
    {
        int t = (image / patch) * (image / patch) + 1;
        var x = Embed(w, pixels, image, patch, d);
        for (int l = 0; l < depth; l++)
        {
            string p = $"blocks.{l}.";
            var h = Ref64.LayerNorm(x, t, w(p + "norm1.weight"), w(p + "norm1.bias"), eps);
            var a = Ref64.Attention(h, t, d, heads, w(p + "attn.qkv.weight"), w(p + "attn.qkv.bias"), w(p + "attn.proj.weight"), w(p + "attn.proj.bias"), causal: false);
            for (int i = 0; i < x.Length; i++) x[i] += a[i];
            h = Ref64.LayerNorm(x, t, w(p + "norm2.weight"), w(p + "norm2.bias"), eps);
            var f = Ref64.Linear(h, t, w(p + "mlp.fc1.weight"), w(p + "mlp.fc1.bias"), d, hidden);
            for (int i = 0; i < f.Length; i++) f[i] = Ref64.Gelu(f[i]);
            var m = Ref64.Linear(f, t, w(p + "mlp.fc2.weight"), w(p + "mlp.fc2.bias"), hidden, d);
            for (int i = 0; i < x.Length; i++) x[i] += m[i];
        }
        var normed = Ref64.LayerNorm(x[..d], 1, w("norm.weight"), w("norm.bias"), eps);
        return Ref64.Linear(normed, 1, w("head.weight"), w("head.bias"), d, classes);
    }

    static double[] Embed(Func<string, double[]> w, double[] pixels, int image, int patch, int d)
    {
        var x = Ref64.PatchEmbedWithClassRow(pixels, image, patch, w("patch_embed.proj.weight"), w("patch_embed.proj.bias"), d);
        var cls = w("cls_token");
        var pos = w("pos_embed");
        for (int c = 0; c < d; c++) x[c] = cls[c];
        for (int i = 0; i < x.Length; i++) x[i] += pos[i];
        return x;
    }

    /// <summary>The same forward with a float64 reference reducer (class token protected and guiding); also the source maps per block.</summary>
    public static (double[] Logits, List<int[]> Sources) ReducedLogits(Func<string, double[]> w, double[] pixels, int image, int patch, int d, int depth, int heads, int hidden, int classes,
        IReducer64 reducer, Margins margins, bool proportional = true, double eps = 1e-6)
    {
        var x = Embed(w, pixels, image, patch, d);
        var tokens = new Tokens64(x, d, Enumerable.Repeat(true, x.Length / d).ToArray());
        tokens.Protected[0] = true;
        tokens.Guide = 0;
        var sources = ReducedEncoder64.Run(tokens, depth, l =>
        {
            string p = $"blocks.{l}.";
            return new Block64(w(p + "norm1.weight"), w(p + "norm1.bias"), w(p + "attn.qkv.weight"), w(p + "attn.qkv.bias"), w(p + "attn.proj.weight"), w(p + "attn.proj.bias"),
                w(p + "norm2.weight"), w(p + "norm2.bias"), w(p + "mlp.fc1.weight"), w(p + "mlp.fc1.bias"), w(p + "mlp.fc2.weight"), w(p + "mlp.fc2.bias"), hidden, eps, Ref64.Gelu);
        }, heads, causal: false, reducer, proportional, margins);
        var normed = Ref64.LayerNorm(tokens.X[tokens.Source[0]], 1, w("norm.weight"), w("norm.bias"), eps);
        return (Ref64.Linear(normed, 1, w("head.weight"), w("head.bias"), d, classes), sources);
    }
}
