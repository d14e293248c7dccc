using System.Numerics.Tensors;
using Sieve.Nn;

namespace Sieve.Models;

/// <summary>
/// CLIP's text tower (Hugging Face <c>text_model</c> + <c>text_projection</c>): token and position
/// embeddings, causal encoder, <c>final_layer_norm</c>, pooled at the first end-of-text token.
/// Only the given tokens run: padding after end-of-text could not change the result under the
/// causal mask, so it is never computed.
/// </summary>
public sealed class ClipTextTower
{
    readonly float[] _tokenEmbedding, _positions;
    readonly Encoder _encoder;
    readonly Nn.LayerNorm _finalNorm;
    readonly Linear _projection;
    readonly ClipConfig _config;

    internal ClipTextTower(ClipConfig config, CheckpointReader w)
    {
        _config = config;
        var c = config.Text;
        int d = c.Width;
        _tokenEmbedding = w.Tensor("text_model.embeddings.token_embedding.weight", config.VocabSize, d);
        _positions = w.Tensor("text_model.embeddings.position_embedding.weight", config.MaxPositions, d);
        _encoder = new Encoder(Enumerable.Range(0, c.Layers)
            .Select(i => w.Block(BlockNames.HuggingFace($"text_model.encoder.layers.{i}"), d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation))
            .ToArray());
        _finalNorm = w.LayerNorm("text_model.final_layer_norm", d, c.LayerNormEps);
        _projection = w.Linear("text_projection", d, config.ProjectionDim, bias: false);
    }

    /// <summary>Projected (not normalised) embedding of a token sequence (start token … end token).</summary>
    public float[] Encode(ReadOnlySpan<int> ids)
    {
        if (ids.IsEmpty) throw new ArgumentException("token sequence is empty", nameof(ids));
        if (ids.Length > _config.MaxPositions)
            throw new ArgumentException($"{ids.Length} tokens exceed the model's {_config.MaxPositions} positions", nameof(ids));
        int eos = ids.IndexOf(_config.EosTokenId);
        // Tokens after the first end-of-text cannot influence it (causal mask): drop them.
        int tokens = eos >= 0 ? eos + 1 : ids.Length;
        int d = _config.Text.Width;
        var x = new float[tokens * d];
        for (int i = 0; i < tokens; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_config.VocabSize)
                throw new ArgumentException($"token id {id} at position {i} is outside the vocabulary of {_config.VocabSize}", nameof(ids));
            TensorPrimitives.Add(_tokenEmbedding.AsSpan(id * d, d), _positions.AsSpan(i * d, d), x.AsSpan(i * d, d));
        }
        _encoder.Forward(x, tokens, causal: true);
        var pooled = new float[d];
        _finalNorm.Forward(x.AsSpan((tokens - 1) * d, d), pooled, 1);
        var embedding = new float[_config.ProjectionDim];
        _projection.Forward(pooled, 1, embedding);
        return embedding;
    }

    /// <summary>Multiply-adds of encoding <paramref name="tokens"/> tokens.</summary>
    public long MacsFor(int tokens) => _encoder.MacsFor(tokens) + _projection.MacsFor(1);
}
