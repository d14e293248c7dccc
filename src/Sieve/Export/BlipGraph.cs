using Sieve.Models;
using static Sieve.Export.OnnxGraph;

namespace Sieve.Export;

/// <summary>
/// BLIP's retrieval model (<see cref="BlipModel.Match(float[], int[])"/>) as one ONNX graph: <c>pixel_values</c> float32
/// [batch, 3, S, S] and <c>input_ids</c> int64 [batch, sequence] (one text per image, unpadded: every row runs in full,
/// so a batch holds texts of one length) → <c>itm_probability</c> [batch] and <c>contrastive_score</c> [batch].
/// </summary>
/// <remarks>
/// The image is encoded once (post-norm on every token); the text encoder runs twice, alone for the contrastive score and
/// cross-attending to the image tokens for the matching probability, its weights stored once.
/// </remarks>
internal static class BlipGraph
{
    /// <summary>The matching graph of a BLIP of shape <paramref name="c"/> with <paramref name="weights"/>.</summary>
    public static OnnxGraph Match(BlipConfig c, CheckpointReader weights)
    {
        var g = new OnnxGraph("blip_match");
        var t = new TransformerGraph(g, weights);
        var (vision, text) = (c.Vision, c.Text);
        int dv = vision.Width, dt = text.Width, s = c.ImageSize;
        CheckDepth(weights, BlipLayout.Vision.Block(vision.Layers).Norm1, vision.Layers, "vision");
        CheckDepth(weights, BlipLayout.Text.Block(text.Layers).Norm1, text.Layers, "text");
        string pixels = g.Input("pixel_values", DataType.Float, "batch", 3, s, s);
        string ids = g.Input("input_ids", DataType.Int64, "batch", "sequence");

        // Vision: patches (with bias), class token, positions, pre-norm layers, post-norm on every token.
        string x = t.Patches(pixels, BlipLayout.Vision.PatchEmbedding, dv, c.PatchSize, bias: true);
        x = t.PrependClassToken(x, pixels, t.Weight(BlipLayout.Vision.ClassEmbedding, 1, 1, dv));
        x = g.Op("Add", [x, t.Weight(BlipLayout.Vision.Positions, 1, c.Grid * c.Grid + 1, dv)]);
        for (int i = 0; i < vision.Layers; i++)
            x = t.Block(x, BlipLayout.Vision.Block(i), i, dv, vision.Heads, vision.MlpHidden, vision.LayerNormEps, vision.Activation);
        string image = t.LayerNorm(x, BlipLayout.Vision.PostNorm, dv, vision.LayerNormEps);
        string imageEmbedding = t.Linear(t.ClassToken(image), BlipLayout.Vision.Projection, dv, c.ImageTextWidth);

        // Text: LayerNorm(word + position), post-norm layers; the [CLS] row of each run.
        string length = g.Op("Shape", [ids], Attr.Of("start", 1L), Attr.Of("end", 2L));
        string words = t.Embedding(ids, BlipLayout.Text.Words, c.VocabSize, dt);
        string positions = g.Op("Slice", [t.Weight(BlipLayout.Text.Positions, c.MaxPositions, dt), g.Int64s(0), length, g.Int64s(0)]);
        string embedded = t.LayerNorm(g.Op("Add", [words, positions]), BlipLayout.Text.EmbeddingNorm, dt, text.LayerNormEps);
        string TextClass(string? context)
        {
            string h = embedded;
            for (int i = 0; i < text.Layers; i++)
                h = t.PostNormBlock(h, BlipLayout.Text.Block(i), i, dt, text.Heads, text.MlpHidden, text.LayerNormEps, text.Activation, context, dv);
            return t.ClassToken(h);
        }
        string textEmbedding = t.Linear(TextClass(null), BlipLayout.Text.Projection, dt, c.ImageTextWidth);
        string logits = t.Linear(TextClass(image), BlipLayout.Text.MatchHead, dt, 2);

        // softmax(logits)[1]; the cosine of the two projected [CLS] rows.
        string probabilities = g.Op("Softmax", [logits], Attr.Of("axis", -1L));
        g.Output(g.OpTo("itm_probability", "Gather", [probabilities, g.Int64Scalar(1)], Attr.Of("axis", 1L)), DataType.Float, "batch");
        string product = g.Op("Mul", [Unit(g, imageEmbedding), Unit(g, textEmbedding)]);
        g.Output(g.OpTo("contrastive_score", "ReduceSum", [product, g.Int64s(1)], Attr.Of("keepdims", 0L)), DataType.Float, "batch");
        return g;
    }

    /// <summary>Each row of [batch, D] divided by its L2 norm.</summary>
    static string Unit(OnnxGraph g, string x) =>
        g.Op("Div", [x, g.Op("ReduceL2", [x], Attr.Of("axes", new long[] { 1 }), Attr.Of("keepdims", 1L))]);

    /// <summary>Refuses a checkpoint with more layers than its config describes, as <see cref="BlipModel"/>'s loading does.</summary>
    static void CheckDepth(CheckpointReader weights, string nextLayerNorm, int layers, string tower)
    {
        if (weights.Has(nextLayerNorm + ".weight"))
            throw new SieveFormatException($"the checkpoint has more than the {layers} {tower} layers its config.json describes");
    }
}
