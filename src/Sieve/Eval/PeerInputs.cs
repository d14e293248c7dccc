namespace Sieve.Eval;

/// <summary>Which exported graph of the model a peer runs: the image model (for ViLT and BLIP, the whole model) or CLIP's text model.</summary>
internal enum PeerGraph
{
    /// <summary>The image model; for ViLT, the model answering from a question and an image; for BLIP, the matching model of both towers.</summary>
    Image,

    /// <summary>CLIP's text model.</summary>
    Text,
}

/// <summary>One input tensor of a peer's run: float32 or int64 values, row-major, of the given shape.</summary>
internal sealed class PeerTensor
{
    PeerTensor(Array values, long[] shape)
    {
        long count = shape.Aggregate(1L, (product, size) => product * size);
        if (shape.Length == 0 || shape.Any(size => size < 1) || count != values.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] does not hold {values.Length} values", nameof(shape));
        Values = values;
        Shape = shape;
    }

    /// <summary>A float32 tensor over <paramref name="values"/> (not copied).</summary>
    public static PeerTensor Of(float[] values, params long[] shape) => new(values, shape);

    /// <summary>An int64 tensor (token ids) over <paramref name="values"/> (not copied).</summary>
    public static PeerTensor Of(long[] values, params long[] shape) => new(values, shape);

    /// <summary>The values: a <c>float[]</c> or a <c>long[]</c>.</summary>
    public Array Values { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public IReadOnlyList<long> Shape { get; }
}

/// <summary>What a peer runs for one workload: a graph and its input tensors, in the graph's input order.</summary>
/// <param name="Graph">The exported graph.</param>
/// <param name="Tensors">Its inputs, in order.</param>
/// <param name="Precision">The graph's block linear layers: float32, or int8 on the same int8 weights as Sieve's.</param>
internal sealed record PeerInputs(PeerGraph Graph, IReadOnlyList<PeerTensor> Tensors, Tensors.Precision Precision = Tensors.Precision.Float32);
