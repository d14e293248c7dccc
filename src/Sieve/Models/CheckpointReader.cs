using System.Runtime.InteropServices;
using Sieve.Nn;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// Builds layers from named tensors, checking every shape. The tensors come from a safetensors
/// checkpoint (one file or shards), or from a seeded generator for randomly initialised models (benchmarks).
/// </summary>
internal sealed class CheckpointReader
{
    /// <summary>Reads the tensor <c>name</c>, checked to have <c>shape</c>, into a buffer of exactly its size.</summary>
    delegate void ReadInto(string name, int[] shape, Span<float> destination);

    /// <summary>Reads a saved int8 weight's values and scales (<see cref="Int8Checkpoint"/>).</summary>
    delegate void ReadQuantizedInto(string name, int[] shape, Span<sbyte> values, Span<float> scales);

    readonly ReadInto _read;
    readonly Func<string, bool> _has;
    readonly ReadQuantizedInto? _readQuantized;
    readonly CheckpointFiles? _files;
    readonly Precision _precision;

    /// <summary>The weights the int8 path reads while <see cref="TraceQuantized"/> is active on this flow (for <see cref="Int8Checkpoint.Save"/>).</summary>
    static readonly AsyncLocal<ISet<string>?> QuantizedTrace = new();

    /// <summary>Reads <paramref name="file"/>; a saved int8 checkpoint's blocks load in int8 whatever <see cref="Precision"/> says.</summary>
    public CheckpointReader(CheckpointFiles file) : this((name, shape, destination) => file.ReadFloats(name, shape, destination), file.Contains)
    {
        _files = file;
        if (Int8Checkpoint.IsQuantized(file))
            _readQuantized = (name, shape, values, scales) =>
            {
                file.ReadInt8(name, shape, values);
                file.ReadFloats(name + Int8Checkpoint.ScaleSuffix, [shape[0]], scales);
            };
    }

    CheckpointReader(ReadInto read, Func<string, bool> has)
    {
        _read = read;
        _has = has;
    }

    /// <summary>
    /// Random weights for any requested tensor: uniform with standard deviation 0.02 like the usual
    /// transformer init, with LayerNorm scales 1 and biases 0 so activations stay in a realistic range.
    /// A tensor's values depend only on <paramref name="seed"/> and its name, never on which tensors were
    /// requested before it, so a model and its ONNX export agree however each walks the layout.
    /// With <paramref name="record"/>, every tensor handed out is also added to it under its name (a checkpoint of the model).
    /// </summary>
    public static CheckpointReader Random(int seed, SafetensorsWriter? record = null, Precision precision = Precision.Float32) =>
        new((name, shape, x) =>
        {
            bool norm = name.Contains("norm", StringComparison.OrdinalIgnoreCase) || name.Contains("layrnorm");
            if (norm && name.EndsWith(".weight")) x.Fill(1f);
            else if (!name.EndsWith(".bias") && !norm)
            {
                var rng = new TensorRandom(seed, name);
                for (int i = 0; i < x.Length; i++) x[i] = (rng.NextSingle() - 0.5f) * 0.0693f; // √12 · 0.02
            }
            else x.Clear();
            record?.Add(name, shape, x);
        }, _ => false) { Precision = precision };

    /// <summary>A tensor the model keeps as it is (embeddings, norms, biases).</summary>
    public float[] Tensor(string name, params int[] shape)
    {
        var x = new float[Elements(shape)];
        _read(name, shape, x);
        return x;
    }

    /// <summary>
    /// A weight that is only read to be packed or quantized: it goes through a native buffer freed right after, so
    /// loading leaves neither the unpacked copy of every matrix behind as garbage nor the largest ones held in the
    /// activations' pool (peak memory ≈ the packed weights; on a random CLIP B/16 in int8 the peak fell by 16 MB against the pool).
    /// </summary>
    NativeFloats Temporary(string name, params int[] shape)
    {
        var x = new NativeFloats(Elements(shape));
        _read(name, shape, x.Span);
        return x;
    }

    static int Elements(int[] shape) => shape.Aggregate(1, (a, b) => checked(a * b));

    public bool Has(string name) => _has(name);

    /// <summary>
    /// Adds to <paramref name="names"/> every weight that the readers of this flow quantize for an int8 layer,
    /// until disposed: which tensors a model's int8 load reads as int8.
    /// </summary>
    public static IDisposable TraceQuantized(ISet<string> names)
    {
        QuantizedTrace.Value = names;
        return new Untrace();
    }

    sealed class Untrace : IDisposable
    {
        public void Dispose() => QuantizedTrace.Value = null;
    }

    /// <summary>The precision of the transformer blocks' linear layers (<see cref="Block"/>); float32 unless set, int8 for a saved int8 checkpoint.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a <see cref="Tensors.Precision"/> value.</exception>
    public Precision Precision
    {
        get => _readQuantized != null ? Precision.Int8 : _precision;
        init => _precision = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(Precision), value, "precision must be Float32 or Int8");
    }

    /// <summary>The <c>.weight</c> of <paramref name="module"/>, checked to have <paramref name="shape"/>.</summary>
    public float[] Weight(string module, params int[] shape) => Tensor(module + ".weight", shape);

    /// <summary>The <c>.bias</c> of <paramref name="module"/>, [<paramref name="width"/>].</summary>
    public float[] Bias(string module, int width) => Tensor(module + ".bias", width);

    /// <summary>A linear layer; float32 unless <paramref name="precision"/> says otherwise (heads and poolers stay float32).</summary>
    public Linear Linear(string prefix, int inF, int outF, bool bias = true, Precision precision = Precision.Float32) =>
        Stacked([(prefix + ".weight", outF)], inF, () => bias ? Bias(prefix, outF) : null, precision);

    /// <summary>
    /// One linear layer without bias whose weight stacks the [rows, <paramref name="inF"/>] <c>.weight</c>s of
    /// <paramref name="parts"/> in order: Hugging Face's separate q/k/v or gate/up projections run as one GEMM.
    /// </summary>
    public Linear Stacked(IReadOnlyList<(string Module, int Rows)> parts, int inF, Precision precision) =>
        Stacked([.. parts.Select(p => (p.Module + ".weight", p.Rows))], inF, () => null, precision);

    /// <summary>
    /// One linear layer whose [rows, <paramref name="inF"/>] weight stacks the <paramref name="weights"/> tensors in order.
    /// In int8 a saved int8 checkpoint's values and scales are packed as they are: quantization is per output row, so
    /// quantizing each part alone gives what quantizing the stack gives. <paramref name="bias"/> is read after the weights.
    /// </summary>
    Linear Stacked(IReadOnlyList<(string Tensor, int Rows)> weights, int inF, Func<float[]?> bias, Precision precision)
    {
        int rows = weights.Sum(p => p.Rows), at = 0;
        if (precision == Precision.Int8 && _readQuantized != null)
        {
            using var values = new NativeFloats((checked(rows * inF) + 3) / 4);
            var q = MemoryMarshal.Cast<float, sbyte>(values.Span)[..(rows * inF)];
            var scales = new float[rows];
            Quantized(weights, inF, q, scales);
            return new Linear(Int8Matrix.FromQuantizedRows(q, scales, rows, inF), bias());
        }
        using var weight = new NativeFloats(checked(rows * inF));
        foreach (var (tensor, n) in weights)
        {
            _read(tensor, [n, inF], weight.Span.Slice(at * inF, n * inF));
            if (precision == Precision.Int8) QuantizedTrace.Value?.Add(tensor);
            at += n;
        }
        return new Linear(weight.Span, bias(), inF, rows, precision);
    }

    /// <summary>
    /// The int8 values [rows, <paramref name="inF"/>] and per-row scales of the stacked <paramref name="weights"/> that an
    /// int8 layer holds (for the ONNX export): a saved int8 checkpoint's as stored, float weights quantized row by row by
    /// <see cref="Int8Matrix.QuantizeRow"/>, as <see cref="Int8Matrix.FromOutputRows"/> quantizes them at load.
    /// Quantization is per output row, so quantizing each part alone gives what quantizing the stack gives.
    /// </summary>
    public void Quantized(IReadOnlyList<(string Tensor, int Rows)> weights, int inF, Span<sbyte> q, Span<float> scales)
    {
        int at = 0;
        foreach (var (tensor, n) in weights)
        {
            var part = q.Slice(at * inF, n * inF);
            var partScales = scales.Slice(at, n);
            if (_readQuantized != null) _readQuantized(tensor, [n, inF], part, partScales);
            else
            {
                using var weight = Temporary(tensor, n, inF);
                for (int j = 0; j < n; j++) partScales[j] = Int8Matrix.QuantizeRow(weight.Span.Slice(j * inF, inF), part.Slice(j * inF, inF));
            }
            at += n;
        }
    }

    /// <summary>
    /// The lookup table <paramref name="name"/> [<paramref name="rows"/>, <paramref name="width"/>] (token embeddings): float32,
    /// or with <paramref name="precision"/> int8 quantized per row like an int8 layer's weight (so <c>sieve quantize</c> saves it so).
    /// A safetensors checkpoint's table stays in the file, mapped (<see cref="MappedTensor"/>): float32 rows are quantized as
    /// they are looked up, to the values quantizing the table at load gives; a saved int8 table's scales are read.
    /// </summary>
    public EmbeddingTable Embedding(string name, int rows, int width, Precision precision)
    {
        int[] shape = [rows, width];
        if (precision == Precision.Int8 && _readQuantized == null) QuantizedTrace.Value?.Add(name);
        var mapped = _files?.Map(name, shape, _readQuantized != null ? DType.I8 : DType.F32);
        if (mapped != null && _readQuantized != null)
        {
            var savedScales = new float[rows];
            _files!.ReadFloats(name + Int8Checkpoint.ScaleSuffix, [rows], savedScales);
            return new EmbeddingTable(mapped, savedScales, rows, width, Precision.Int8);
        }
        if (mapped != null) return new EmbeddingTable(mapped, null, rows, width, precision);
        if (precision == Precision.Float32) return new EmbeddingTable(Tensor(name, shape), rows, width);
        var (values, scales) = (new sbyte[checked(rows * width)], new float[rows]);
        Quantized([(name, rows)], width, values, scales);
        return new EmbeddingTable(values, scales, rows, width);
    }

    public Nn.LayerNorm LayerNorm(string prefix, int width, float eps) => new(Weight(prefix, width), Bias(prefix, width), eps);

    /// <summary>
    /// The final LayerNorm <paramref name="norm"/> and linear map <paramref name="projection"/> [outputs, width]
    /// that read a tower's pooled token, kept unpacked (see <see cref="TokenReadout"/>).
    /// </summary>
    public TokenReadout Readout(string norm, float eps, string projection, int width, int outputs, bool bias) =>
        new(Weight(norm, width), Bias(norm, width), eps, Weight(projection, outputs, width), bias ? Bias(projection, outputs) : null);

    /// <summary>
    /// A block's q/k/v projection as one [3D, D] weight and [3D] bias into <paramref name="weight"/> and
    /// <paramref name="bias"/>: timm stores it fused; Hugging Face's three are stacked (q, k, v rows).
    /// </summary>
    public void Qkv(BlockNames names, int width, Span<float> weight, Span<float> bias)
    {
        int at = 0;
        foreach (var (module, rows) in QkvParts(names, width))
        {
            _read(module + ".weight", [rows, width], weight.Slice(at * width, rows * width));
            _read(module + ".bias", [rows], bias.Slice(at, rows));
            at += rows;
        }
    }

    /// <summary>The modules of a block's q/k/v projection and their output rows: timm's fused one, or Hugging Face's q, k, v.</summary>
    static (string Module, int Rows)[] QkvParts(BlockNames names, int width) =>
        names.Qkv != null ? [(names.Qkv, 3 * width)] : [(names.Q!, width), (names.K!, width), (names.V!, width)];

    /// <summary>The <c>.weight</c> tensors of a block's q/k/v projection and their rows, stacked in this order into one [3D, D] weight.</summary>
    public static (string Tensor, int Rows)[] QkvWeights(BlockNames names, int width) =>
        [.. QkvParts(names, width).Select(p => (p.Module + ".weight", p.Rows))];

    /// <summary>A block's q/k/v bias, [3D] (q, k, v).</summary>
    public float[] QkvBias(BlockNames names, int width)
    {
        var bias = new float[3 * width];
        int at = 0;
        foreach (var (module, rows) in QkvParts(names, width))
        {
            _read(module + ".bias", [rows], bias.AsSpan(at, rows));
            at += rows;
        }
        return bias;
    }

    public PatchEmbedding PatchEmbedding(string prefix, int width, int channels, int patch, bool bias)
    {
        using var w = Temporary(prefix + ".weight", width, channels, patch, patch);
        return new PatchEmbedding(new Linear(w.Span, bias ? Bias(prefix, width) : null, channels * patch * patch, width), channels, patch);
    }

    /// <summary>
    /// The block <paramref name="names"/> describes, block <paramref name="layer"/> (0-based) of its tower, normalising as
    /// <paramref name="placement"/> says, its q/k/v, output projection and MLP layers in <see cref="BlockPrecision"/>; a cross-attention sublayer (<see cref="BlockNames.Cross"/>, in <see cref="Precision"/>) reads a context
    /// <paramref name="contextWidth"/> wide.
    /// </summary>
    public TransformerBlock Block(BlockNames names, int layer, int width, int heads, int hidden, float eps, Activation activation,
        NormPlacement placement = NormPlacement.Pre, int contextWidth = 0)
    {
        var qkv = Stacked(QkvWeights(names, width), width, () => QkvBias(names, width), BlockPrecision(layer, qkvOrFc2: true));
        return new TransformerBlock(
            LayerNorm(names.Norm1, width, eps),
            new Attention(qkv, Linear(names.Proj, width, width, precision: Precision), heads),
            LayerNorm(names.Norm2, width, eps),
            new Mlp(Linear(names.Fc1, width, hidden, precision: Precision), Linear(names.Fc2, hidden, width, precision: BlockPrecision(layer, qkvOrFc2: true)), activation),
            placement,
            names.Cross is { } cross ? (CrossAttention(cross, width, contextWidth, heads), LayerNorm(cross.Norm, width, eps)) : null);
    }

    /// <summary>
    /// The precision of block <paramref name="layer"/>'s q/k/v or fc2 (<paramref name="qkvOrFc2"/>) or other linear layer:
    /// <see cref="Precision"/>, except that int8 leaves the first block's q/k/v and fc2 in float32 (the ONNX export asks
    /// here too, so its int8 graph has the same float32 layers). They are the
    /// layers whose int8 error moved the real ViT-Tiny most (each alone in float32 lifted its top-1 agreement with float32
    /// on the 500 dev images from 98.4 % to 98.6 %, both together to 99.2 %): the first block reads the raw embeddings,
    /// and its fc2 the long-tailed GELU output, whose per-token ranges int8 resolves worst. They are 7/12 of one block's MACs.
    /// </summary>
    internal Precision BlockPrecision(int layer, bool qkvOrFc2) => qkvOrFc2 && layer == 0 ? Precision.Float32 : Precision;

    /// <summary>
    /// A cross-attention from a sequence <paramref name="width"/> wide to a context <paramref name="contextWidth"/> wide, key and
    /// value stacked, its four layers in <see cref="Precision"/> like a block's output projection: BLIP's key/value
    /// projections read all 577 image tokens in each of 12 text layers (8.2 of BLIP-base matching's 70.5 GMACs).
    /// </summary>
    CrossAttention CrossAttention(CrossAttentionNames names, int width, int contextWidth, int heads)
    {
        var keyValue = Stacked([(names.K + ".weight", width), (names.V + ".weight", width)], contextWidth, () =>
        {
            var bias = new float[2 * width];
            _read(names.K + ".bias", [width], bias.AsSpan(0, width));
            _read(names.V + ".bias", [width], bias.AsSpan(width));
            return bias;
        }, Precision);
        return new CrossAttention(Linear(names.Q, width, width, precision: Precision), keyValue, Linear(names.Proj, width, width, precision: Precision), heads);
    }
}
