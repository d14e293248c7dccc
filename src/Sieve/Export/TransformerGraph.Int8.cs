using Sieve.Models;
using Sieve.Tensors;
using static Sieve.Export.OnnxGraph;

namespace Sieve.Export;

internal sealed partial class TransformerGraph
{
    /// <summary>Block <paramref name="layer"/>'s MLP, fc1 then fc2, each in the precision Sieve's block gives it.</summary>
    string Mlp(string x, BlockNames names, int layer, int width, int hidden, Activation activation) =>
        BlockLinear(Activate(BlockLinear(x, names.Fc1, width, hidden, w.BlockPrecision(layer, qkvOrFc2: false)), activation),
            names.Fc2, hidden, width, w.BlockPrecision(layer, qkvOrFc2: true));

    /// <summary>
    /// A transformer block's q/k/v-free linear layer (output projection, MLP) in <paramref name="precision"/>, which
    /// <see cref="CheckpointReader.BlockPrecision"/> gives as it gives Sieve's layers, so int8 is exactly where Sieve's
    /// layers are int8 and attention's products, embeddings and heads stay float32 in both.
    /// </summary>
    string BlockLinear(string x, string prefix, int inF, int outF, Precision precision) => precision == Precision.Int8
        ? QuantizedLinear(x, prefix, [(prefix + ".weight", outF)], w.Bias(prefix, outF), inF)
        : Linear(x, prefix, inF, outF);

    /// <summary>
    /// y = x·Wᵀ + b with W the int8 weights Sieve's int8 layer holds (<see cref="CheckpointReader.Quantized"/>: read from
    /// a saved int8 checkpoint or quantized per output channel here), written as ONNX Runtime's own dynamic quantization
    /// writes a MatMul: DynamicQuantizeLinear on the activation (u8, one scale and zero point per tensor) → MatMulInteger
    /// with the s8 weight [K, N] and a zero zero point per column → Cast → Mul by activation scale × per-column weight
    /// scale → Add bias, which ONNX Runtime's optimiser fuses into one DynamicQuantizeMatMul.
    /// </summary>
    /// <remarks>Sieve quantizes activations per token, this graph per tensor, so the two agree only up to that difference.</remarks>
    string QuantizedLinear(string x, string prefix, IReadOnlyList<(string Tensor, int Rows)> weights, float[] bias, int inF)
    {
        int outF = weights.Sum(p => p.Rows);
        var (q, scales) = (new sbyte[outF * inF], new float[outF]);
        w.Quantized(weights, inF, q, scales);
        string weight = g.Int8Weight(prefix + ".weight_quantized.T", Transpose(q, outF, inF), inF, outF);
        string zeroPoints = g.Int8Weight(prefix + ".weight_zero_point", new sbyte[outF], outF);
        var quantized = g.Ops("DynamicQuantizeLinear", [x], 3);
        string products = g.Op("MatMulInteger", [quantized[0], weight, quantized[2], zeroPoints]);
        // The activation scale first: ONNX Runtime's fusion reads the scale product's inputs in this order.
        string scale = g.Op("Mul", [quantized[1], g.Weight(prefix + ".weight" + Int8Checkpoint.ScaleSuffix, scales, outF)]);
        string y = g.Op("Mul", [g.Op("Cast", [products], Attr.Of("to", (long)DataType.Float)), scale]);
        return g.Op("Add", [y, g.Weight(prefix + ".bias", bias, outF)]);
    }

    /// <summary>
    /// The rows <paramref name="ids"/> [batch, tokens] picks from the lookup table <paramref name="name"/> [<paramref name="rows"/>,
    /// <paramref name="width"/>] as Sieve's model holds it (<see cref="CheckpointReader.Embedding"/>): a float32 Gather, or in
    /// int8 Gather of the int8 rows and of their scales [rows, 1], then Cast and Mul (q·scale, as Sieve dequantizes them).
    /// </summary>
    public string Embedding(string ids, string name, int rows, int width)
    {
        if (w.Precision == Precision.Float32) return g.Op("Gather", [Weight(name, rows, width), ids], Attr.Of("axis", 0L));
        var (q, scales) = (new sbyte[rows * width], new float[rows]);
        w.Quantized([(name, rows)], width, q, scales);
        string values = g.Op("Gather", [g.Int8Weight(name + "_quantized", q, rows, width), ids], Attr.Of("axis", 0L));
        string rowScales = g.Op("Gather", [g.Weight(name + Int8Checkpoint.ScaleSuffix, scales, rows, 1), ids], Attr.Of("axis", 0L));
        return g.Op("Mul", [g.Op("Cast", [values], Attr.Of("to", (long)DataType.Float)), rowScales]);
    }
}
