using Sieve.Models;
using Sieve.Tensors;
using Sieve.Weights;
using static Sieve.Export.OnnxGraph;

namespace Sieve.Export;

/// <summary>
/// Writes Sieve's dense models as standard ONNX files (opset <see cref="Opset"/>, default domain only) with
/// the checkpoint's weights as float32 initializers (F16, BF16 and F64 checkpoints are converted), so any
/// ONNX runtime computes what Sieve computes. Inputs are preprocessed, as Sieve's own forwards take them.
/// With <see cref="Precision.Int8"/> the blocks' linear layers carry Sieve's int8 weights in a dynamically quantized
/// graph, as ONNX Runtime's own dynamic quantization writes one (DynamicQuantizeLinear, MatMulInteger).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>timm ViT: <c>pixel_values</c> float32 [batch, 3, S, S] → <c>logits</c> [batch, classes] (<see cref="VitModel.Logits"/>).</item>
/// <item>CLIP vision: <c>pixel_values</c> → <c>image_embeds</c> [batch, projection_dim], projected, not normalised (<see cref="VisionTower.Encode"/>).</item>
/// <item>CLIP text: <c>input_ids</c> int64 [batch, sequence], sequence ≤ the model's positions → <c>text_embeds</c>
/// [batch, projection_dim], pooled per row at the first end-of-text token, or at the last position when a row has
/// none (<see cref="ClipTextTower.Encode"/>). Rows may be padded after end-of-text with any valid ids: under the causal
/// mask padding cannot change the pooled token.</item>
/// <item>ViLT: <c>input_ids</c> int64 [batch, sequence] (unpadded: every row runs in full) and <c>pixel_values</c> float32
/// [batch, 3, height, width] of any size → <c>logits</c> [batch, answers] (VQA head, <see cref="ViltModel.AnswerLogits"/>)
/// and/or <c>match_score</c> [batch, 1] (<see cref="ViltModel.MatchScore(ViltInput, Sieve.Nn.BlockHook)"/>), or <c>pooler_output</c> without heads. The
/// position grid is resized to each image's patch grid by ONNX's Resize (linear, align_corners), as PyTorch does.</item>
/// <item>BLIP retrieval: <c>pixel_values</c> and <c>input_ids</c> (one unpadded text per image) → <c>itm_probability</c> [batch]
/// and <c>contrastive_score</c> [batch] (<see cref="BlipModel.Match(float[], int[])"/>; <see cref="BlipGraph"/>).</item>
/// </list>
/// Attention is spelled out as MatMul, Reshape, Transpose and Softmax; GELU as its Erf formula (Gelu is not in
/// opset 17), QuickGELU as x·Sigmoid(1.702x). A file holds at most 2 GiB (no external data files).
/// </remarks>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set version of every exported graph.</summary>
    public const int Opset = OnnxModelWriter.Opset;

    /// <summary>Exports the model in <paramref name="modelDirectory"/> to the file <paramref name="outputPath"/> (replaced only once complete).</summary>
    /// <param name="modelDirectory">A timm ViT, or a Hugging Face CLIP, ViLT or BLIP folder (config.json + model.safetensors).</param>
    /// <param name="outputPath">The .onnx file to write; its folder must exist.</param>
    /// <param name="tower">For CLIP, which tower; the other families export one graph.</param>
    /// <param name="precision">
    /// Of the blocks' linear layers, as <see cref="Precision"/> describes Sieve's; a folder saved by <c>sieve quantize</c>
    /// exports only in int8, its weights as stored.
    /// </param>
    public static OnnxExportInfo Export(string modelDirectory, string outputPath, ClipTower tower = ClipTower.Vision, Precision precision = Precision.Float32)
    {
        var graph = Build(modelDirectory, tower, precision);
        long bytes = 0;
        AtomicFile.Write(outputPath, stream => bytes = OnnxModelWriter.Write(graph, stream));
        return Describe(graph, bytes);
    }

    /// <summary>Exports the model in <paramref name="modelDirectory"/> to <paramref name="output"/>.</summary>
    public static OnnxExportInfo Export(string modelDirectory, Stream output, ClipTower tower = ClipTower.Vision, Precision precision = Precision.Float32)
    {
        var graph = Build(modelDirectory, tower, precision);
        return Describe(graph, OnnxModelWriter.Write(graph, output));
    }

    /// <summary>
    /// Exports both towers of <see cref="ClipModel.CreateRandom"/>(<paramref name="config"/>, <paramref name="seed"/>, <paramref name="precision"/>),
    /// with the same weights, for comparing runtimes on models no checkpoint exists for.
    /// </summary>
    public static (OnnxExportInfo Vision, OnnxExportInfo Text) ExportRandomClip(ClipConfig config, int seed, Stream vision, Stream text,
        Precision precision = Precision.Float32)
    {
        var weights = CheckpointReader.Random(seed, precision: precision);
        return (Write(ClipVisionGraph(config, weights), vision), Write(ClipTextGraph(config, weights), text));
    }

    /// <summary>Exports <see cref="ViltModel.CreateRandom"/>(<paramref name="config"/>, <paramref name="seed"/>, <paramref name="answers"/>, <paramref name="precision"/>) with the same weights.</summary>
    public static OnnxExportInfo ExportRandomVilt(ViltConfig config, int seed, int answers, Stream output, Precision precision = Precision.Float32) =>
        Write(ViltGraph(config, CheckpointReader.Random(seed, precision: precision), ViltLayout.WithBothHeads(answers)), output);

    /// <summary>Exports <see cref="BlipModel.CreateRandom"/>(<paramref name="config"/>, <paramref name="seed"/>, <paramref name="precision"/>) with the same weights (<see cref="BlipGraph"/>).</summary>
    public static OnnxExportInfo ExportRandomBlip(BlipConfig config, int seed, Stream output, Precision precision = Precision.Float32) =>
        Write(BlipGraph.Match(config, CheckpointReader.Random(seed, precision: precision)), output);

    static OnnxExportInfo Write(OnnxGraph graph, Stream stream) => Describe(graph, OnnxModelWriter.Write(graph, stream));

    static OnnxGraph Build(string directory, ClipTower tower, Precision precision)
    {
        var family = ModelFolder.Detect(directory);
        var config = JsonConfig.Load(Path.Combine(directory, "config.json"));
        if (family != ModelFamily.Clip && tower != ClipTower.Vision)
            throw new ArgumentException($"'{directory}' holds a {family switch { ModelFamily.Vit => "timm ViT, which has only an image tower", ModelFamily.Blip => "BLIP, exported as one matching graph of both towers", _ => "ViLT, whose text and image run as one stream" }}; a {tower.ToString().ToLowerInvariant()} tower exists only for CLIP");
        using var file = CheckpointFiles.Open(directory);
        if (precision == Precision.Float32 && Int8Checkpoint.IsQuantized(file))
            throw new SieveFormatException($"'{directory}' holds int8 weights saved by `sieve quantize`; it exports only in int8 (--precision int8), or give the float folder it was quantized from");
        var weights = new CheckpointReader(file) { Precision = precision };
        if (family == ModelFamily.Vit) return VitGraph(VitConfig.FromTimm(config), weights);
        if (family == ModelFamily.Blip) return BlipGraph.Match(BlipConfig.FromHuggingFace(config), weights);
        if (family == ModelFamily.Vilt)
        {
            var vilt = ViltConfig.FromHuggingFace(config);
            return ViltGraph(vilt, weights, ViltLayout.Detect(vilt, weights));
        }
        var clip = ClipConfig.FromHuggingFace(config);
        return tower == ClipTower.Vision ? ClipVisionGraph(clip, weights) : ClipTextGraph(clip, weights);
    }

    /// <summary>timm ViT: patch embedding, class token, positions, blocks, final norm on the class token, head.</summary>
    internal static OnnxGraph VitGraph(VitConfig c, CheckpointReader weights)
    {
        var g = new OnnxGraph("vit");
        var t = new TransformerGraph(g, weights);
        int d = c.Width;
        string pixels = g.Input("pixel_values", DataType.Float, "batch", 3, c.ImageSize, c.ImageSize);
        string x = t.Patches(pixels, VitLayout.PatchEmbedding, d, c.PatchSize, bias: true);
        x = t.PrependClassToken(x, pixels, t.Weight(VitLayout.ClassToken, 1, 1, d));
        x = g.Op("Add", [x, t.Weight(VitLayout.Positions, 1, c.Tokens, d)]);
        VitLayout.CheckDepth(weights, c.Depth);
        for (int i = 0; i < c.Depth; i++)
            x = t.Block(x, VitLayout.Block(i), i, d, c.Heads, c.MlpHidden, c.LayerNormEps, Tensors.Activation.Gelu);
        string cls = t.LayerNorm(t.ClassToken(x), VitLayout.Norm, d, c.LayerNormEps);
        g.Output(t.Linear(cls, VitLayout.Head, d, c.NumClasses, output: "logits"), DataType.Float, "batch", c.NumClasses);
        return g;
    }

    /// <summary>CLIP vision tower: patches, class embedding, positions, pre-norm, blocks, post-norm of the class token, projection.</summary>
    internal static OnnxGraph ClipVisionGraph(ClipConfig config, CheckpointReader weights)
    {
        var g = new OnnxGraph("clip_vision");
        var t = new TransformerGraph(g, weights);
        var c = config.Vision;
        int d = c.Width, s = config.ImageSize;
        string pixels = g.Input("pixel_values", DataType.Float, "batch", 3, s, s);
        string x = t.Patches(pixels, ClipLayout.Vision.PatchEmbedding, d, config.PatchSize, bias: false);
        x = t.PrependClassToken(x, pixels, t.Weight(ClipLayout.Vision.ClassEmbedding, [d], [1, 1, d]));
        x = g.Op("Add", [x, t.Weight(ClipLayout.Vision.Positions, config.Grid * config.Grid + 1, d)]);
        x = t.LayerNorm(x, ClipLayout.Vision.PreNorm, d, c.LayerNormEps);
        for (int i = 0; i < c.Layers; i++)
            x = t.Block(x, ClipLayout.Vision.Block(i), i, d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation);
        string pooled = t.LayerNorm(t.ClassToken(x), ClipLayout.Vision.PostNorm, d, c.LayerNormEps);
        g.Output(t.Linear(pooled, ClipLayout.Vision.Projection, d, config.ProjectionDim, bias: false, output: "image_embeds"),
            DataType.Float, "batch", config.ProjectionDim);
        return g;
    }

    /// <summary>CLIP text tower: token and position embeddings, causal blocks, pooling at end-of-text, final norm, projection.</summary>
    internal static OnnxGraph ClipTextGraph(ClipConfig config, CheckpointReader weights)
    {
        var g = new OnnxGraph("clip_text");
        var t = new TransformerGraph(g, weights);
        var c = config.Text;
        int d = c.Width, n = config.MaxPositions;
        string ids = g.Input("input_ids", DataType.Int64, "batch", "sequence");
        string length = g.Op("Shape", [ids], Attr.Of("start", 1L), Attr.Of("end", 2L));
        // The first `length` rows of an [n, …] constant: positions, ramp.
        string Prefix(string table) => g.Op("Slice", [table, g.Int64s(0), length, g.Int64s(0)]);

        string x = t.Embedding(ids, ClipLayout.Text.TokenEmbedding, config.VocabSize, d);
        x = g.Op("Add", [x, Prefix(t.Weight(ClipLayout.Text.Positions, n, d))]);
        string mask = g.Op("Slice", [g.FloatConstant("causal_mask", CausalMask(n), n, n), g.Int64s(0, 0),
            g.Op("Concat", [length, length], Attr.Of("axis", 0L)), g.Int64s(0, 1)]);
        for (int i = 0; i < c.Layers; i++)
            x = t.Block(x, ClipLayout.Text.Block(i), i, d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation, mask);

        // Pool where max(is-end-of-text, j/n) peaks: end-of-text scores 1 and ArgMax takes the first of equal
        // maxima; every other position scores j/n < 1, so a row without end-of-text pools at its last position.
        string isEnd = g.Op("Cast", [g.Op("Equal", [ids, g.Int64Scalar(config.EosTokenId)])], Attr.Of("to", (long)DataType.Float));
        string score = g.Op("Max", [isEnd, Prefix(g.FloatConstant("position_ramp", Ramp(n), n))]);
        string end = g.Op("ArgMax", [score], Attr.Of("axis", 1L), Attr.Of("keepdims", 1L));
        string pooled = g.Op("GatherND", [x, end], Attr.Of("batch_dims", 1L));
        pooled = t.LayerNorm(pooled, ClipLayout.Text.FinalNorm, d, c.LayerNormEps);
        g.Output(t.Linear(pooled, ClipLayout.Text.Projection, d, config.ProjectionDim, bias: false, output: "text_embeds"),
            DataType.Float, "batch", config.ProjectionDim);
        return g;
    }

    /// <summary>ViLT: text and image embeddings (<see cref="ViltEmbeddings"/>), the fusion blocks, final norm, pooler and heads.</summary>
    internal static OnnxGraph ViltGraph(ViltConfig c, CheckpointReader weights, ViltLayout layout)
    {
        var g = new OnnxGraph("vilt");
        var t = new TransformerGraph(g, weights);
        int d = c.Width, grid = c.Grid, answers = layout.Answers;
        string ids = g.Input("input_ids", DataType.Int64, "batch", "sequence");
        string pixels = g.Input("pixel_values", DataType.Float, "batch", 3, "height", "width");

        // Text: LayerNorm(word + position + token type 0) + modality type 0.
        string words = t.Embedding(ids, layout.Words, c.VocabSize, d);
        string length = g.Op("Shape", [ids], Attr.Of("start", 1L), Attr.Of("end", 2L));
        string positions = g.Op("Slice", [t.Weight(layout.TextPositions, c.MaxPositions, d), g.Int64s(0), length, g.Int64s(0)]);
        var tokenType = t.Read(layout.TextTokenTypes, c.TypeVocabSize, d);
        string xt = g.Op("Add", [g.Op("Add", [words, positions]), g.Weight(layout.TextTokenTypes + "[0]", tokenType[..d], d)]);
        xt = t.LayerNorm(xt, layout.TextNorm, d, c.LayerNormEps);

        // Image: patches + the position grid resized to this image's patch grid; the class token with position 0.
        string conv = t.Conv(pixels, layout.PatchEmbedding, d, c.PatchSize, bias: true);
        var cls = t.Read(layout.ClassToken, 1, 1, d);
        var table = t.Read(layout.ImagePositions, 1, 1 + grid * grid, d);
        var gridChannels = new float[d * grid * grid]; // [1, D, G, G], as PyTorch's interpolate takes it
        for (int p = 0; p < grid * grid; p++)
            for (int k = 0; k < d; k++) gridChannels[k * grid * grid + p] = table[(1 + p) * d + k];
        string sizes = g.Op("Concat", [g.Int64s(1, d), g.Op("Shape", [conv], Attr.Of("start", 2L), Attr.Of("end", 4L))], Attr.Of("axis", 0L));
        string resized = g.Op("Resize", [g.Weight(layout.ImagePositions + "[1:]", gridChannels, 1, d, grid, grid), "", "", sizes],
            Attr.Of("mode", "linear"), Attr.Of("coordinate_transformation_mode", "align_corners"));
        string xi = g.Op("Add", [conv, resized]);
        xi = g.Op("Transpose", [g.Op("Reshape", [xi, g.Int64s(0, d, -1)])], Attr.Of("perm", 0, 2, 1));
        var clsRow = new float[d];
        for (int k = 0; k < d; k++) clsRow[k] = cls[k] + table[k];
        xi = t.PrependClassToken(xi, pixels, g.Weight(layout.ClassToken + "+" + layout.ImagePositions + "[0]", clsRow, 1, 1, d));

        var modality = t.Read(layout.ModalityTypes, c.ModalityTypes, d);
        xt = g.Op("Add", [xt, g.Weight(layout.ModalityTypes + "[0]", modality[..d], d)]);
        xi = g.Op("Add", [xi, g.Weight(layout.ModalityTypes + "[1]", modality[d..(2 * d)], d)]);

        string x = g.Op("Concat", [xt, xi], Attr.Of("axis", 1L));
        for (int i = 0; i < c.Layers; i++)
            x = t.Block(x, layout.Block(i), i, d, c.Heads, c.MlpHidden, c.LayerNormEps, Tensors.Activation.Gelu);
        x = t.LayerNorm(x, layout.Norm, d, c.LayerNormEps);
        string pooled = g.Op("Tanh", [t.Linear(t.ClassToken(x), layout.Pooler, d, d)]);
        if (answers == 0 && !layout.Match) g.Output(g.Op("Identity", [pooled]), DataType.Float, "batch", d);
        if (answers > 0)
        {
            string hidden = t.LayerNorm(t.Linear(pooled, ViltLayout.VqaUp, d, 2 * d), ViltLayout.VqaNorm, 2 * d, ViltModel.HeadLayerNormEps);
            g.Output(t.Linear(t.Activate(hidden, Tensors.Activation.Gelu), ViltLayout.VqaOut, 2 * d, answers, output: "logits"), DataType.Float, "batch", answers);
        }
        if (layout.Match) g.Output(t.Linear(pooled, ViltLayout.Rank, d, 1, output: "match_score"), DataType.Float, "batch", 1);
        return g;
    }

    /// <summary>[n, n] additive mask: 0 where key j ≤ query i, −∞ above the diagonal.</summary>
    static float[] CausalMask(int n)
    {
        var mask = new float[n * n];
        for (int i = 0; i < n; i++) mask.AsSpan(i * n + i + 1, n - i - 1).Fill(float.NegativeInfinity);
        return mask;
    }

    static float[] Ramp(int n) => Enumerable.Range(0, n).Select(j => (float)j / n).ToArray();

    static OnnxExportInfo Describe(OnnxGraph graph, long bytes)
    {
        static string Value(Value v) =>
            $"{v.Name} {(v.Type == DataType.Float ? "float32" : "int64")} [{string.Join(", ", v.Shape.Select(d => d.Symbol ?? d.Size.ToString()))}]";
        string signature = $"{string.Join(", ", graph.Inputs.Select(Value))} → {string.Join(", ", graph.Outputs.Select(Value))}";
        return new OnnxExportInfo(graph.Name, signature, graph.Nodes.Count, graph.Parameters, bytes);
    }
}
