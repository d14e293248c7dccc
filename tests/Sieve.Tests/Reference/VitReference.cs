namespace Sieve.Tests.Reference;

/// <summary>Float64 timm ViT forward written from the timm definition, over raw named weights.</summary>
public static class VitReference
{
    public static double[] Logits(Func<string, double[]> w, double[] pixels, int image, int patch, int d, int depth, int heads, int hidden, int classes, double eps = 1e-6)
    {
        int grid = image / patch, t = grid * grid + 1;
        var x = new double[t * d];
        var pw = w("patch_embed.proj.weight"); // [D, 3, p, p]
        var pb = w("patch_embed.proj.bias");
        var cls = w("cls_token");
        var pos = w("pos_embed");
        for (int c = 0; c < d; c++) x[c] = cls[c] + pos[c];
        for (int py = 0; py < grid; py++)
            for (int px = 0; px < grid; px++)
                for (int o = 0; o < d; o++)
                {
                    double s = pb[o];
                    for (int ch = 0; ch < 3; ch++)
                        for (int ky = 0; ky < patch; ky++)
                            for (int kx = 0; kx < patch; kx++)
                                s += pw[((o * 3 + ch) * patch + ky) * patch + kx] * pixels[(ch * image + py * patch + ky) * image + px * patch + kx];
                    int token = 1 + py * grid + px;
                    x[token * d + o] = s + pos[token * d + o];
                }
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
