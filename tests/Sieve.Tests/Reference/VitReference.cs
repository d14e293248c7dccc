namespace Sieve.Tests.Reference;

/// <summary>Float64 timm ViT forward written from the timm definition, over raw named weights.</summary>
public static class VitReference
{
    public static double[] Logits(Func<string, double[]> w, double[] pixels, int image, int patch, int d, int depth, int heads, int hidden, int classes, double eps = 1e-6)
    {
        int t = (image / patch) * (image / patch) + 1;
        var x = Ref64.PatchEmbedWithClassRow(pixels, image, patch, w("patch_embed.proj.weight"), w("patch_embed.proj.bias"), d);
        var cls = w("cls_token");
        var pos = w("pos_embed");
        for (int c = 0; c < d; c++) x[c] = cls[c];
        for (int i = 0; i < x.Length; i++) x[i] += pos[i];
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
}
