using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// A context's keys and values as one cross-attention projects them, [Count, 2D] rows (k then v), with the context's
/// log(size) per token: computed once per context and read by every query that attends to it (each decoding step of
/// a caption reads the same image). Owns rented memory: dispose it when the last query is done.
/// </summary>
internal sealed class ContextKeyValues : IDisposable
{
    readonly Scratch _rows;

    internal ContextKeyValues(Scratch rows, int count, float[]? logSizes) => (_rows, Count, LogSizes) = (rows, count, logSizes);

    /// <summary>The rows, [Count, 2D] at the start (the array may be longer).</summary>
    public float[] Rows => _rows.Array;

    /// <summary>Context tokens.</summary>
    public int Count { get; }

    /// <summary>log(size) per token, or null while every token stands for one.</summary>
    public float[]? LogSizes { get; }

    /// <inheritdoc />
    public void Dispose() => _rows.Dispose();
}
