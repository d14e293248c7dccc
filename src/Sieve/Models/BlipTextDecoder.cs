using System.Numerics.Tensors;
using Sieve.Models.Generation;
using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Models;

/// <summary>
/// BLIP's text decoder (Hugging Face <c>text_decoder</c>, a <c>BlipTextLMHeadModel</c>): LayerNorm(word + position
/// embeddings), post-norm BERT layers with causal self-attention and cross-attention to a context (the image tokens for
/// captions, the question's states for VQA), and the LM head — dense, activation, LayerNorm, then the vocabulary
/// projection (the word embeddings when the checkpoint ties them) with its bias. Decoding keeps a key/value cache per
/// layer, and projects the context's keys and values once for every step (<see cref="Attend"/>).
/// </summary>
internal sealed class BlipTextDecoder
{
    readonly float[] _words, _positions;
    readonly Nn.LayerNorm _embeddingNorm, _transformNorm;
    readonly Encoder _encoder;
    readonly Linear _transform, _logits;
    readonly Activation _activation;

    /// <param name="config">The model's shape (the decoder has the text encoder's).</param>
    /// <param name="w">The weights.</param>
    /// <param name="contextWidth">Width of what the cross-attention reads (<c>encoder_hidden_size</c>).</param>
    public BlipTextDecoder(BlipConfig config, CheckpointReader w, int contextWidth)
    {
        var c = config.Text;
        int d = c.Width;
        (Width, Heads, VocabSize, MaxPositions, ContextWidth, _activation) = (d, c.Heads, config.VocabSize, config.MaxPositions, contextWidth, c.Activation);
        _words = w.Tensor(BlipLayout.Decoder.Words, VocabSize, d);
        _positions = w.Tensor(BlipLayout.Decoder.Positions, MaxPositions, d);
        _embeddingNorm = w.LayerNorm(BlipLayout.Decoder.EmbeddingNorm, d, c.LayerNormEps);
        if (w.Has(BlipLayout.Decoder.Block(c.Layers).Norm1 + ".weight"))
            throw new SieveFormatException($"the checkpoint has more than the {c.Layers} text decoder layers its config.json describes");
        _encoder = new Encoder(Enumerable.Range(0, c.Layers)
            .Select(i => w.Block(BlipLayout.Decoder.Block(i), i, d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation, NormPlacement.Post, contextWidth))
            .ToArray());
        _transform = w.Linear(BlipLayout.Decoder.Transform, d, d);
        _transformNorm = w.LayerNorm(BlipLayout.Decoder.TransformNorm, d, c.LayerNormEps);
        // transformers ties the projection to the word embeddings; a checkpoint may still store it (then it is read).
        var bias = w.Tensor(w.Has(BlipLayout.Decoder.LogitsBias) || !w.Has(BlipLayout.Decoder.TiedLogitsBias) ? BlipLayout.Decoder.LogitsBias : BlipLayout.Decoder.TiedLogitsBias, VocabSize);
        _logits = w.Has(BlipLayout.Decoder.Logits)
            ? new Linear(w.Tensor(BlipLayout.Decoder.Logits, VocabSize, d), bias, d, VocabSize)
            : new Linear(_words, bias, d, VocabSize);
    }

    /// <summary>Model width D.</summary>
    public int Width { get; }

    /// <summary>Attention heads.</summary>
    public int Heads { get; }

    /// <summary>Rows of the logits.</summary>
    public int VocabSize { get; }

    /// <summary>The most tokens a sequence may have (<c>max_position_embeddings</c>).</summary>
    public int MaxPositions { get; }

    /// <summary>Width of the context the cross-attention reads.</summary>
    public int ContextWidth { get; }

    /// <summary>Layers.</summary>
    public int Layers => _encoder.Blocks.Count;

    /// <summary>Every layer's cross-attention keys and values of <paramref name="context"/>, projected once for all the steps that read it.</summary>
    /// <exception cref="ArgumentException">The context is not <see cref="ContextWidth"/> wide.</exception>
    public DecoderContext Attend(TokenContext context)
    {
        if (context.Width != ContextWidth)
            throw new ArgumentException($"the context is {context.Width} wide; the text decoder's cross-attention reads {ContextWidth} (encoder_hidden_size)", nameof(context));
        var layers = new ContextKeyValues[Layers];
        for (int l = 0; l < layers.Length; l++) layers[l] = _encoder.Blocks[l].ProjectContext(context);
        return new DecoderContext(layers);
    }

    /// <summary>A fresh sequence decoded against <paramref name="context"/> (which must outlive it).</summary>
    public IDecoderSession Start(DecoderContext context) => new Session(this, context, null);

    /// <summary>Runs <paramref name="ids"/> at positions from <c>caches[0].Count</c> on and returns the logits after the last.</summary>
    float[] Step(ReadOnlySpan<int> ids, KeyValueCache[] caches, DecoderContext context)
    {
        int start = caches[0].Count, tokens = ids.Length, d = Width;
        if (tokens == 0) throw new ArgumentException("no tokens to append", nameof(ids));
        if (start + tokens > MaxPositions)
            throw new ArgumentException($"the sequence would have {start + tokens} tokens, more than the text decoder's {MaxPositions} positions (max_position_embeddings)", nameof(ids));
        for (int i = 0; i < tokens; i++)
            if ((uint)ids[i] >= (uint)VocabSize)
                throw new ArgumentException($"token id {ids[i]} is outside the vocabulary of {VocabSize}", nameof(ids));
        using var xBuffer = new Scratch(tokens * d);
        var x = xBuffer.Span;
        for (int i = 0; i < tokens; i++)
            TensorPrimitives.Add(_words.AsSpan(ids[i] * d, d), _positions.AsSpan((start + i) * d, d), x.Slice(i * d, d));
        _embeddingNorm.Forward(x, x, tokens);
        for (int l = 0; l < Layers; l++) _encoder.Blocks[l].Decode(x, tokens, caches[l], context.Layers[l]);
        // Only the last token's logits are needed to choose the next one.
        using var hidden = new Scratch(d);
        _transform.Forward(x.Slice((tokens - 1) * d, d), 1, hidden.Span, _activation);
        _transformNorm.Forward(hidden.Span, hidden.Span, 1);
        var logits = new float[VocabSize];
        using var time = OpProfile.Time(OpKind.Head, _logits.MacsFor(1));
        _logits.Forward(hidden.Span, 1, logits);
        return logits;
    }

    /// <summary>
    /// Multiply-adds of decoding one token at <paramref name="position"/> (0-based) over a context of
    /// <paramref name="contextTokens"/> whose keys and values are already projected (<see cref="AttendMacs"/>).
    /// </summary>
    public long StepMacs(int position, int contextTokens) =>
        _encoder.MacsFor(1, contextTokens) + Layers * 2L * position * Width - AttendMacs(contextTokens) + _transform.MacsFor(1) + _logits.MacsFor(1);

    /// <summary>
    /// Multiply-adds of decoding a sequence of <paramref name="length"/> tokens (the prompt included) over a context of
    /// <paramref name="contextTokens"/>: its projection once, then every step at its position, once per beam (each step
    /// runs every live beam).
    /// </summary>
    public long DecodeMacs(int contextTokens, int length, int beams = 1) =>
        AttendMacs(contextTokens) + beams * Enumerable.Range(0, length).Sum(p => StepMacs(p, contextTokens));

    /// <summary>Multiply-adds of projecting a context of <paramref name="contextTokens"/> tokens (<see cref="Attend"/>).</summary>
    public long AttendMacs(int contextTokens) => Layers * (long)contextTokens * 2 * ContextWidth * Width;

    /// <summary>A sequence's key/value caches over one context.</summary>
    sealed class Session(BlipTextDecoder decoder, DecoderContext context, KeyValueCache[]? caches) : IDecoderSession
    {
        readonly KeyValueCache[] _caches = caches ?? Enumerable.Range(0, decoder.Layers).Select(_ => new KeyValueCache(decoder.Width, decoder.Heads)).ToArray();

        public int Length => _caches[0].Count;

        public int VocabSize => decoder.VocabSize;

        public float[] Append(ReadOnlySpan<int> tokens) => decoder.Step(tokens, _caches, context);

        public IDecoderSession Fork() => new Session(decoder, context, _caches.Select(c => c.Clone()).ToArray());
    }
}
