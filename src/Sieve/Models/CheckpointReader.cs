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

    readonly ReadInto _read;
    readonly Func<string, bool> _has;

    public CheckpointReader(CheckpointFiles file) : this((name, shape, destination) => file.ReadFloats(name, shape, destination), file.Contains) { }

    CheckpointReader(ReadInto read, Func<string, bool> has)
    {
        _read = read;
        _has = has;
    }

    /// <summary>
    /// Random weights for any requested tensor: uniform with standard deviation 0.02 like the usual
    /// transformer init, with LayerNorm scales 1 and biases 0 so activations stay in a realistic range.
    /// With <paramref name="record"/>, every tensor handed out is also added to it under its name (a checkpoint of the model).
    /// </summary>
    public static CheckpointReader Random(int seed, SafetensorsWriter? record = null)
    {
        var rng = new System.Random(seed);
        return new CheckpointReader((name, shape, x) =>
        {
            bool norm = name.Contains("norm", StringComparison.OrdinalIgnoreCase) || name.Contains("layrnorm");
            if (norm && name.EndsWith(".weight")) x.Fill(1f);
            else if (!name.EndsWith(".bias") && !norm)
                for (int i = 0; i < x.Length; i++) x[i] = (rng.NextSingle() - 0.5f) * 0.0693f; // √12 · 0.02
            else x.Clear();
            record?.Add(name, shape, x);
        }, _ => false);
    }

    /// <summary>A tensor the model keeps as it is (embeddings, norms, biases).</summary>
    public float[] Tensor(string name, params int[] shape)
    {
        var x = new float[Elements(shape)];
        _read(name, shape, x);
        return x;
    }

    /// <summary>
    /// A weight that is only read to be packed: it goes through a pooled buffer, so loading does not leave
    /// the unpacked copy of every matrix behind as garbage (peak memory ≈ the packed weights).
    /// </summary>
    Scratch Temporary(string name, params int[] shape)
    {
        var x = new Scratch(Elements(shape));
        _read(name, shape, x.Span);
        return x;
    }

    static int Elements(int[] shape) => shape.Aggregate(1, (a, b) => checked(a * b));

    public bool Has(string name) => _has(name);

    public Linear Linear(string prefix, int inF, int outF, bool bias = true)
    {
        using var weight = Temporary(prefix + ".weight", outF, inF);
        return new(weight.Span, bias ? Tensor(prefix + ".bias", outF) : null, inF, outF);
    }

    public Nn.LayerNorm LayerNorm(string prefix, int width, float eps) =>
        new(Tensor(prefix + ".weight", width), Tensor(prefix + ".bias", width), eps);

    /// <summary>Fuses separate q/k/v projections (Hugging Face layout) into one [3D, D] projection.</summary>
    public Linear FusedQkv(string q, string k, string v, int width)
    {
        using var w = new Scratch(3 * width * width);
        var b = new float[3 * width];
        string[] parts = [q, k, v];
        for (int i = 0; i < 3; i++)
        {
            _read(parts[i] + ".weight", [width, width], w.Span.Slice(i * width * width, width * width));
            _read(parts[i] + ".bias", [width], b.AsSpan(i * width, width));
        }
        return new Linear(w.Span, b, width, 3 * width);
    }

    public PatchEmbedding PatchEmbedding(string prefix, int width, int channels, int patch, bool bias)
    {
        using var w = Temporary(prefix + ".weight", width, channels, patch, patch);
        return new PatchEmbedding(new Linear(w.Span, bias ? Tensor(prefix + ".bias", width) : null, channels * patch * patch, width), channels, patch);
    }

    public TransformerBlock Block(BlockNames names, int width, int heads, int hidden, float eps, Activation activation)
    {
        var qkv = names.Qkv != null
            ? Linear(names.Qkv, width, 3 * width)
            : FusedQkv(names.Q!, names.K!, names.V!, width);
        return new TransformerBlock(
            LayerNorm(names.Norm1, width, eps),
            new Attention(qkv, Linear(names.Proj, width, width), heads),
            LayerNorm(names.Norm2, width, eps),
            new Mlp(Linear(names.Fc1, width, hidden), Linear(names.Fc2, hidden, width), activation));
    }
}

/// <summary>Tensor name prefixes of one transformer block in a given checkpoint layout.</summary>
internal sealed record BlockNames(string Norm1, string? Qkv, string? Q, string? K, string? V, string Proj, string Norm2, string Fc1, string Fc2)
{
    public static BlockNames Timm(int i) =>
        new($"blocks.{i}.norm1", $"blocks.{i}.attn.qkv", null, null, null, $"blocks.{i}.attn.proj", $"blocks.{i}.norm2", $"blocks.{i}.mlp.fc1", $"blocks.{i}.mlp.fc2");

    public static BlockNames HuggingFace(string layer) =>
        new($"{layer}.layer_norm1", null, $"{layer}.self_attn.q_proj", $"{layer}.self_attn.k_proj", $"{layer}.self_attn.v_proj",
            $"{layer}.self_attn.out_proj", $"{layer}.layer_norm2", $"{layer}.mlp.fc1", $"{layer}.mlp.fc2");

    /// <summary>A Hugging Face ViT/BERT-style layer (<c>ViltLayer</c>): <c>layernorm_before</c>, <c>attention.attention.{query,key,value}</c>, ….</summary>
    public static BlockNames Vilt(string layer) =>
        new($"{layer}.layernorm_before", null, $"{layer}.attention.attention.query", $"{layer}.attention.attention.key", $"{layer}.attention.attention.value",
            $"{layer}.attention.output.dense", $"{layer}.layernorm_after", $"{layer}.intermediate.dense", $"{layer}.output.dense");
}
