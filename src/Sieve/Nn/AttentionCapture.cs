using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// What one attention call keeps for a token reducer, beyond its output. The fused projections are
/// always kept (keys and queries cost nothing extra: they exist anyway); probabilities and per-head
/// outputs are materialised only when asked for. Buffers are pooled; dispose after the reducer ran.
/// </summary>
public sealed class AttentionCapture : IDisposable
{
    float[]? _qkv, _probabilities, _context;

    /// <param name="tokens">Sequence length of the call.</param>
    /// <param name="width">Model width D.</param>
    /// <param name="heads">Head count H.</param>
    /// <param name="probabilities">Keep every head's softmax probabilities, [H, N, N].</param>
    /// <param name="headOutputs">Keep the per-head outputs P_h·V_h before the output projection, [N, D].</param>
    public AttentionCapture(int tokens, int width, int heads, bool probabilities, bool headOutputs)
    {
        Tokens = tokens;
        Width = width;
        Heads = heads;
        _qkv = ActivationMemory.Rent(tokens * 3 * width);
        if (probabilities) _probabilities = ActivationMemory.Rent(heads * tokens * tokens);
        if (headOutputs) _context = ActivationMemory.Rent(tokens * width);
    }

    /// <summary>Sequence length N.</summary>
    public int Tokens { get; }

    /// <summary>Model width D.</summary>
    public int Width { get; }

    /// <summary>Head count H.</summary>
    public int Heads { get; }

    /// <summary>Fused projections [N, 3D]: row i is [q_i; k_i; v_i], all heads concatenated, bias included.</summary>
    public Span<float> Qkv => Live(_qkv).AsSpan(0, Tokens * 3 * Width);

    /// <summary>Query of token <paramref name="i"/>, all heads concatenated.</summary>
    public ReadOnlySpan<float> Query(int i) => Qkv.Slice(i * 3 * Width, Width);

    /// <summary>Key of token <paramref name="i"/>, all heads concatenated.</summary>
    public ReadOnlySpan<float> Key(int i) => Qkv.Slice(i * 3 * Width + Width, Width);

    /// <summary>Whether <see cref="Probabilities"/> was requested.</summary>
    public bool HasProbabilities => _probabilities != null;

    /// <summary>Whether <see cref="HeadOutputs"/> was requested.</summary>
    public bool HasHeadOutputs => _context != null;

    /// <summary>Softmax probabilities [H, N, N] (query rows, key columns).</summary>
    public Span<float> Probabilities => (_probabilities ?? throw new InvalidOperationException("attention probabilities were not requested")).AsSpan(0, Heads * Tokens * Tokens);

    /// <summary>Per-head outputs [N, D]: columns h·D/H … (h+1)·D/H − 1 of row n hold (P_h V_h)[n].</summary>
    public Span<float> HeadOutputs => (_context ?? throw new InvalidOperationException("per-head outputs were not requested")).AsSpan(0, Tokens * Width);

    internal float[] QkvArray => Live(_qkv);
    internal float[]? ProbabilityArray => _probabilities;
    internal float[]? ContextArray => _context;

    static float[] Live(float[]? a) => a ?? throw new ObjectDisposedException(nameof(AttentionCapture));

    /// <inheritdoc />
    public void Dispose()
    {
        if (_qkv != null) ActivationMemory.Return(_qkv, Tokens * 3 * Width);
        if (_probabilities != null) ActivationMemory.Return(_probabilities, Heads * Tokens * Tokens);
        if (_context != null) ActivationMemory.Return(_context, Tokens * Width);
        _qkv = _probabilities = _context = null;
    }
}
