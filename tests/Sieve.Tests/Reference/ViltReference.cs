using Sieve.Tests.Support;

namespace Sieve.Tests.Reference;

/// <summary>
/// Float64 Hugging Face ViLT written from the transformers definition (<c>ViltEmbeddings.visual_embed</c>,
/// <c>ViltLayer</c>, <c>ViltPooler</c>, the heads) over raw named weights. Like transformers it runs the
/// whole padded text and masks padded keys with −∞; the patch positions are resized with PyTorch's
/// bilinear, align_corners=True formula.
/// </summary>
public static class ViltReference
{
    /// <summary>Pooler output [D] for ids (with a 0/1 attention mask) and a [3, H, W] image.</summary>
    public static double[] Pooled(Func<string, double[]> w, TinyVilt.Shape s, int[] ids, int[] mask, double[] pixels, int height, int width)
    {
        int d = s.Width, t = ids.Length, n = 1 + (height / s.Patch) * (width / s.Patch);
        var x = Embed(w, s, ids, pixels, height, width);
        var keys = mask.Select(m => m == 1).Concat(Enumerable.Repeat(true, n)).ToArray();
        int total = t + n;
        for (int l = 0; l < s.Layers; l++)
        {
            string p = $"{s.P}encoder.layer.{l}.";
            var h = Ref64.LayerNorm(x, total, w(p + "layernorm_before.weight"), w(p + "layernorm_before.bias"), TinyVilt.Shape.Eps);
            string a = p + "attention.attention.";
            var qkvW = w(a + "query.weight").Concat(w(a + "key.weight")).Concat(w(a + "value.weight")).ToArray();
            var qkvB = w(a + "query.bias").Concat(w(a + "key.bias")).Concat(w(a + "value.bias")).ToArray();
            var att = Ref64.Attention(h, total, d, s.Heads, qkvW, qkvB, w(p + "attention.output.dense.weight"), w(p + "attention.output.dense.bias"), causal: false, keys);
            for (int i = 0; i < x.Length; i++) x[i] += att[i];
            h = Ref64.LayerNorm(x, total, w(p + "layernorm_after.weight"), w(p + "layernorm_after.bias"), TinyVilt.Shape.Eps);
            var f = Ref64.Linear(h, total, w(p + "intermediate.dense.weight"), w(p + "intermediate.dense.bias"), d, s.Hidden);
            for (int i = 0; i < f.Length; i++) f[i] = Ref64.Gelu(f[i]);
            var m = Ref64.Linear(f, total, w(p + "output.dense.weight"), w(p + "output.dense.bias"), s.Hidden, d);
            for (int i = 0; i < x.Length; i++) x[i] += m[i];
        }
        var first = Ref64.LayerNorm(x[..d], 1, w(s.P + "layernorm.weight"), w(s.P + "layernorm.bias"), TinyVilt.Shape.Eps);
        return Ref64.Linear(first, 1, w(s.P + "pooler.dense.weight"), w(s.P + "pooler.dense.bias"), d, d).Select(Math.Tanh).ToArray();
    }

    static double[] Embed(Func<string, double[]> w, TinyVilt.Shape s, int[] ids, double[] pixels, int height, int width)
    {
        int d = s.Width, t = ids.Length;
        string e = s.P + "embeddings.";

        // Text: LayerNorm(word + position + token type 0), then + modality type 0.
        var words = w(e + "text_embeddings.word_embeddings.weight");
        var positions = w(e + "text_embeddings.position_embeddings.weight");
        var types = w(e + "text_embeddings.token_type_embeddings.weight");
        var text = new double[t * d];
        for (int i = 0; i < t; i++)
            for (int c = 0; c < d; c++) text[i * d + c] = words[ids[i] * d + c] + positions[i * d + c] + types[c];
        text = Ref64.LayerNorm(text, t, w(e + "text_embeddings.LayerNorm.weight"), w(e + "text_embeddings.LayerNorm.bias"), TinyVilt.Shape.Eps);
        var modality = w(e + "token_type_embeddings.weight");
        for (int i = 0; i < t; i++)
            for (int c = 0; c < d; c++) text[i * d + c] += modality[c];

        // Image: [cls; patches] + [pos 0; resized pos grid] + modality type 1.
        int rows = height / s.Patch, cols = width / s.Patch, n = 1 + rows * cols;
        var image = Ref64.PatchEmbedWithClassRow(pixels, height, width, s.Patch, w(e + "patch_embeddings.projection.weight"), w(e + "patch_embeddings.projection.bias"), d);
        var cls = w(e + "cls_token");
        var pos = w(e + "position_embeddings");
        var grid = Bilinear(pos[d..], s.Grid, s.Grid, rows, cols, d);
        for (int c = 0; c < d; c++) image[c] = cls[c] + pos[c];
        for (int i = 1; i < n; i++)
            for (int c = 0; c < d; c++) image[i * d + c] += grid[(i - 1) * d + c];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++) image[i * d + c] += modality[d + c];

        return text.Concat(image).ToArray();
    }

    static Block64 Block(Func<string, double[]> w, TinyVilt.Shape s, int l)
    {
        string p = $"{s.P}encoder.layer.{l}.", a = p + "attention.attention.";
        return new Block64(w(p + "layernorm_before.weight"), w(p + "layernorm_before.bias"),
            w(a + "query.weight").Concat(w(a + "key.weight")).Concat(w(a + "value.weight")).ToArray(),
            w(a + "query.bias").Concat(w(a + "key.bias")).Concat(w(a + "value.bias")).ToArray(),
            w(p + "attention.output.dense.weight"), w(p + "attention.output.dense.bias"), w(p + "layernorm_after.weight"), w(p + "layernorm_after.bias"),
            w(p + "intermediate.dense.weight"), w(p + "intermediate.dense.bias"), w(p + "output.dense.weight"), w(p + "output.dense.bias"), s.Hidden, TinyVilt.Shape.Eps, Ref64.Gelu);
    }

    /// <summary>
    /// <see cref="Pooled"/> (all text tokens real) with a float64 reference reducer on the [text; image] stream: text
    /// and image class tokens protected, the text class token guiding and pooled; also the source maps per block.
    /// </summary>
    public static (double[] Pooled, List<int[]> Sources) ReducedPooled(Func<string, double[]> w, TinyVilt.Shape s, int[] ids, double[] pixels, int height, int width,
        IReducer64 reducer, Margins margins)
    {
        int d = s.Width;
        var x = Embed(w, s, ids, pixels, height, width);
        var tokens = new Tokens64(x, d, Enumerable.Range(0, x.Length / d).Select(i => i >= ids.Length).ToArray());
        tokens.Protected[0] = tokens.Protected[ids.Length] = true;
        tokens.Guide = 0;
        var sources = ReducedEncoder64.Run(tokens, s.Layers, l => Block(w, s, l), s.Heads, causal: false, reducer, proportional: true, margins);
        var first = Ref64.LayerNorm(tokens.X[tokens.Source[0]], 1, w(s.P + "layernorm.weight"), w(s.P + "layernorm.bias"), TinyVilt.Shape.Eps);
        return (Ref64.Linear(first, 1, w(s.P + "pooler.dense.weight"), w(s.P + "pooler.dense.bias"), d, d).Select(Math.Tanh).ToArray(), sources);
    }

    /// <summary>classifier = Linear(D, 2D), LayerNorm(2D) with PyTorch's default eps 1e-5, GELU, Linear(2D, answers).</summary>
    public static double[] VqaLogits(Func<string, double[]> w, TinyVilt.Shape s, double[] pooled)
    {
        int d = s.Width;
        var h = Ref64.Linear(pooled, 1, w("classifier.0.weight"), w("classifier.0.bias"), d, 2 * d);
        h = Ref64.LayerNorm(h, 1, w("classifier.1.weight"), w("classifier.1.bias"), 1e-5).Select(Ref64.Gelu).ToArray();
        return Ref64.Linear(h, 1, w("classifier.3.weight"), w("classifier.3.bias"), 2 * d, s.Answers);
    }

    public static double MatchScore(Func<string, double[]> w, TinyVilt.Shape s, double[] pooled) =>
        Ref64.Linear(pooled, 1, w("rank_output.weight"), w("rank_output.bias"), s.Width, 1)[0];

    /// <summary>
    /// torch.nn.functional.interpolate(mode="bilinear", align_corners=True) of a [h, w, D] grid to [rows, cols, D]:
    /// output (i, j) samples the source at (i·(h−1)/(rows−1), j·(w−1)/(cols−1)) (0 when the output is one wide).
    /// </summary>
    public static double[] Bilinear(double[] grid, int h, int w, int rows, int cols, int d)
    {
        var result = new double[rows * cols * d];
        for (int i = 0; i < rows; i++)
        {
            double sy = rows > 1 ? i * (h - 1.0) / (rows - 1) : 0;
            int y0 = (int)Math.Floor(sy), y1 = Math.Min(y0 + 1, h - 1);
            double ly = sy - y0;
            for (int j = 0; j < cols; j++)
            {
                double sx = cols > 1 ? j * (w - 1.0) / (cols - 1) : 0;
                int x0 = (int)Math.Floor(sx), x1 = Math.Min(x0 + 1, w - 1);
                double lx = sx - x0;
                for (int c = 0; c < d; c++)
                    result[(i * cols + j) * d + c] =
                        (1 - ly) * ((1 - lx) * grid[(y0 * w + x0) * d + c] + lx * grid[(y0 * w + x1) * d + c])
                        + ly * ((1 - lx) * grid[(y1 * w + x0) * d + c] + lx * grid[(y1 * w + x1) * d + c]);
            }
        }
        return result;
    }
}
