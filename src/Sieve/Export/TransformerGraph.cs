using Sieve.Models;
using Sieve.Tensors;
using static Sieve.Export.OnnxGraph;

namespace Sieve.Export;

/// <summary>
/// Emits the ONNX nodes of Sieve's transformer layers, reading each weight from the checkpoint as it goes
/// (the same layout names, shape checks and float32 conversion as the models' own loading). Activations
/// are [batch, tokens, width] throughout; batch and token counts stay symbolic. Initializers are named
/// after the module they come from.
/// </summary>
internal sealed partial class TransformerGraph(OnnxGraph g, CheckpointReader w)
{
    /// <summary>A checkpoint tensor of <paramref name="shape"/> as an initializer of the same shape.</summary>
    public string Weight(string name, params int[] shape) => Weight(name, shape, Array.ConvertAll(shape, s => (long)s));

    /// <summary>A checkpoint tensor of <paramref name="shape"/>, stored with <paramref name="dims"/> (same element count).</summary>
    public string Weight(string name, int[] shape, long[] dims) => g.Weight(name, w.Tensor(name, shape), dims);

    /// <summary>A checkpoint tensor's values, for initializers built from parts of it.</summary>
    public float[] Read(string name, params int[] shape) => w.Tensor(name, shape);

    /// <summary>y = x·Wᵀ + b for a PyTorch [out, in] weight; <paramref name="output"/> names the result (a graph output).</summary>
    public string Linear(string x, string prefix, int inF, int outF, bool bias = true, string? output = null)
    {
        var weight = w.Tensor(prefix + ".weight", outF, inF);
        var b = bias ? w.Tensor(prefix + ".bias", outF) : null;
        return Linear(x, prefix, weight, b, inF, outF, output);
    }

    string Linear(string x, string prefix, float[] weight, float[]? bias, int inF, int outF, string? output = null)
    {
        // MatMul wants [in, out]: store the transpose once rather than a Transpose node per run.
        string y = Op(bias == null ? output : null, "MatMul", [x, g.Weight(prefix + ".weight.T", Transpose(weight, outF, inF), inF, outF)]);
        return bias == null ? y : Op(output, "Add", [y, g.Weight(prefix + ".bias", bias, outF)]);
    }

    string Op(string? output, string opType, string[] inputs) => output == null ? g.Op(opType, inputs) : g.OpTo(output, opType, inputs);

    /// <summary>LayerNormalization over the last axis with the checkpoint's γ and β.</summary>
    public string LayerNorm(string x, string prefix, int width, float eps) =>
        g.Op("LayerNormalization", [x, Weight(prefix + ".weight", width), Weight(prefix + ".bias", width)],
            Attr.Of("axis", -1L), Attr.Of("epsilon", eps));

    /// <summary>
    /// Patch embedding of [batch, 3, S, S] pixels: a stride-p, p×p convolution → [batch, D, g, g], flattened
    /// and transposed to [batch, g², D] (patches in raster order, as Sieve's <c>PatchEmbedding</c>).
    /// </summary>
    public string Patches(string pixels, string prefix, int width, int patch, bool bias)
    {
        string flat = g.Op("Reshape", [Conv(pixels, prefix, width, patch, bias), g.Int64s(0, width, -1)]);
        return g.Op("Transpose", [flat], Attr.Of("perm", 0, 2, 1));
    }

    /// <summary>The stride-p, p×p patch convolution of [batch, 3, H, W] pixels → [batch, D, H/p, W/p].</summary>
    public string Conv(string pixels, string prefix, int width, int patch, bool bias)
    {
        string[] inputs = [pixels, Weight(prefix + ".weight", width, 3, patch, patch)];
        if (bias) inputs = [.. inputs, Weight(prefix + ".bias", width)];
        return g.Op("Conv", inputs, Attr.Of("kernel_shape", patch, patch), Attr.Of("strides", patch, patch));
    }

    /// <summary>Puts the [1, 1, D] class token in front of every sequence of the batch.</summary>
    public string PrependClassToken(string tokens, string pixels, string classToken)
    {
        // Expand broadcasts [1, 1, D] against [batch, 1, 1]; batch is the pixels' first dimension.
        string batch = g.Op("Shape", [pixels], Attr.Of("start", 0L), Attr.Of("end", 1L));
        string shape = g.Op("Concat", [batch, g.Int64s(1, 1)], Attr.Of("axis", 0L));
        string classTokens = g.Op("Expand", [classToken, shape]);
        return g.Op("Concat", [classTokens, tokens], Attr.Of("axis", 1L));
    }

    /// <summary>The class token (position 0) of every sequence: [batch, tokens, D] → [batch, D].</summary>
    public string ClassToken(string x) => g.Op("Gather", [x, g.Int64Scalar(0)], Attr.Of("axis", 1L));

    /// <summary>
    /// A pre-norm block, block <paramref name="layer"/> (0-based) of its tower, x + Attn(LN1(x)) then x + MLP(LN2(x)).
    /// <paramref name="mask"/>, when given, is added to the attention scores ([tokens, tokens], −∞ where attention is not allowed).
    /// </summary>
    public string Block(string x, BlockNames names, int layer, int width, int heads, int hidden, float eps, Activation activation, string? mask = null)
    {
        string h = LayerNorm(x, names.Norm1, width, eps);
        x = g.Op("Add", [x, Attention(h, names, layer, width, heads, mask)]);
        h = LayerNorm(x, names.Norm2, width, eps);
        string mlp = Mlp(h, names, layer, width, hidden, activation);
        return g.Op("Add", [x, mlp]);
    }

    /// <summary>Self-attention of [batch, tokens, D] with the block's q/k/v (fused or stacked) and output projection.</summary>
    string Attention(string x, BlockNames names, int layer, int d, int heads, string? mask)
    {
        string qkv;
        if (w.BlockPrecision(layer, qkvOrFc2: true) == Precision.Int8) qkv = QuantizedLinear(x, names.QkvModule, CheckpointReader.QkvWeights(names, d), w.QkvBias(names, d), d);
        else
        {
            var (weight, bias) = (new float[3 * d * d], new float[3 * d]);
            w.Qkv(names, d, weight, bias);
            qkv = Linear(x, names.QkvModule, weight, bias, d, 3 * d);
        }
        var parts = g.Ops("Split", [qkv, g.Int64s(d, d, d)], 3, Attr.Of("axis", 2L));
        return BlockLinear(MultiHead(parts[0], parts[1], parts[2], d, heads, mask), names.Proj, d, d, w.BlockPrecision(layer, qkvOrFc2: false));
    }

    /// <summary>
    /// softmax(q·kᵀ/√dh + mask)·v per head, heads concatenated back to [batch, queries, D] (before the output projection);
    /// q is [batch, queries, D], k and v [batch, keys, D].
    /// </summary>
    string MultiHead(string queries, string keys, string values, int d, int heads, string? mask)
    {
        int dh = d / heads;
        string headShape = g.Int64s(0, 0, heads, dh);
        string Heads(string t, params long[] perm) => g.Op("Transpose", [g.Op("Reshape", [t, headShape])], Attr.Of("perm", perm));
        // q, v: [batch, heads, tokens, dh]; k already transposed to [batch, heads, dh, tokens].
        string q = Heads(queries, 0, 2, 1, 3), k = Heads(keys, 0, 2, 3, 1), v = Heads(values, 0, 2, 1, 3);
        string scores = g.Op("Mul", [g.Op("MatMul", [q, k]), g.Scalar(1f / MathF.Sqrt(dh))]);
        if (mask != null) scores = g.Op("Add", [scores, mask]);
        string context = g.Op("MatMul", [g.Op("Softmax", [scores], Attr.Of("axis", -1L)), v]);
        return g.Op("Reshape", [g.Op("Transpose", [context], Attr.Of("perm", 0, 2, 1, 3)), g.Int64s(0, 0, d)]);
    }

    /// <summary>The MLP activation as ONNX nodes.</summary>
    public string Activate(string x, Activation activation) => activation switch
    {
        // x·½·(1 + erf(x/√2)) in the node order PyTorch's exporter uses, which ONNX Runtime fuses into one Gelu.
        Activation.Gelu => g.Op("Mul", [g.Op("Mul", [x, g.Op("Add", [g.Op("Erf", [g.Op("Div", [x, g.Scalar(MathF.Sqrt(2f))])]), g.Scalar(1f)])]), g.Scalar(0.5f)]),
        Activation.QuickGelu => g.Op("Mul", [x, g.Op("Sigmoid", [g.Op("Mul", [x, g.Scalar(1.702f)])])]),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "no ONNX form for this MLP activation"),
    };

    static T[] Transpose<T>(T[] matrix, int rows, int cols)
    {
        var t = new T[matrix.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = matrix[r * cols + c];
        return t;
    }
}
