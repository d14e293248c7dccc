using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// Llama's causal self-attention: <see cref="Heads"/> query heads and <see cref="KvHeads"/> key/value heads (grouped-query
/// attention: each run of Heads / KvHeads query heads reads one key/value head), rotary positions on queries and keys,
/// no biases; q, k and v projected by one stacked [q; k; v] linear layer. Keys and values go to a cache, so a decoding
/// step projects only its new tokens.
/// </summary>
internal sealed class GroupedQueryAttention
{
    readonly Linear _qkv, _output;
    readonly RotaryEmbedding _rotary;

    /// <param name="qkv">D → (Heads + 2·KvHeads)·HeadDim, rows q, k, v.</param>
    /// <param name="output">Heads·HeadDim → D.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="kvHeads">Key/value heads; must divide <paramref name="heads"/>.</param>
    /// <param name="rotary">The rotary embedding (its head width is the heads').</param>
    public GroupedQueryAttention(Linear qkv, Linear output, int heads, int kvHeads, RotaryEmbedding rotary)
    {
        int dh = rotary.HeadDim;
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
            throw new ArgumentException($"{kvHeads} key/value heads do not divide {heads} query heads", nameof(kvHeads));
        if (qkv.Out != (heads + 2 * kvHeads) * dh || output.In != heads * dh || output.Out != qkv.In)
            throw new ArgumentException($"attention projections do not fit {heads}+2×{kvHeads} heads of {dh}: qkv {qkv.In}→{qkv.Out}, output {output.In}→{output.Out}");
        (_qkv, _output, _rotary, Heads, KvHeads) = (qkv, output, rotary, heads, kvHeads);
    }

    /// <summary>Query heads.</summary>
    public int Heads { get; }

    /// <summary>Key/value heads.</summary>
    public int KvHeads { get; }

    /// <summary>Width of the cached keys (and of the values): KvHeads · HeadDim.</summary>
    public int KeyWidth => KvHeads * _rotary.HeadDim;

    /// <summary>
    /// y = Attn(x) for the <paramref name="tokens"/> newest rows of the sequence, at <paramref name="positions"/>: their
    /// rotated keys and values are appended to <paramref name="cache"/>, and each attends to every cached token up to itself.
    /// </summary>
    /// <param name="x">Normalised input [tokens, D].</param>
    /// <param name="tokens">New tokens.</param>
    /// <param name="positions">Each new token's position (rotary angle).</param>
    /// <param name="y">Output [tokens, D]; overwritten.</param>
    /// <param name="cache">This layer's keys and values so far (<see cref="KeyWidth"/> wide).</param>
    /// <param name="keyBias">Null, or log(size) per cached key (after this call's are appended): proportional attention.</param>
    /// <param name="probabilities">Null, or [Heads, tokens, cache.Count] to keep the softmax.</param>
    public void Forward(ReadOnlySpan<float> x, int tokens, ReadOnlySpan<int> positions, Span<float> y, KeyValueCache cache,
        float[]? keyBias = null, float[]? probabilities = null)
    {
        int dh = _rotary.HeadDim, qWidth = Heads * dh, stride = _qkv.Out;
        if (cache.Width != KeyWidth) throw new ArgumentException($"the cache is {cache.Width} wide; this attention's keys are {KeyWidth}", nameof(cache));
        using var qkv = new Scratch(tokens * stride);
        using var context = new Scratch(tokens * qWidth);
        using (OpProfile.Time(OpKind.QkvProjection, _qkv.MacsFor(tokens))) _qkv.Forward(x, tokens, qkv.Span);
        using (OpProfile.Time(OpKind.Rotary))
        {
            _rotary.Apply(qkv.Span, 0, stride, tokens, Heads, positions);
            _rotary.Apply(qkv.Span, qWidth, stride, tokens, KvHeads, positions);
        }
        using (OpProfile.Time(OpKind.KeyValueCache)) cache.Append(qkv.Span, tokens, stride, qWidth);
        if (keyBias != null && keyBias.Length < cache.Count) throw new ArgumentException($"key bias has {keyBias.Length} values for {cache.Count} keys", nameof(keyBias));
        AttentionHeads.Run(qkv.Array, stride, [], 0, 0, 0, tokens, cache.Count, qWidth, Heads, context.Array,
            causal: true, keyBias, probabilities, KvHeads, cache.Packed);
        using var time = OpProfile.Time(OpKind.OutProjection, _output.MacsFor(tokens));
        _output.Forward(context.Span, tokens, y);
    }

    /// <summary>Multiply-adds for <paramref name="tokens"/> new tokens attending to <paramref name="keys"/> keys in all.</summary>
    public long MacsFor(int tokens, int keys) => _qkv.MacsFor(tokens) + _output.MacsFor(tokens) + 2L * tokens * keys * Heads * _rotary.HeadDim;
}
