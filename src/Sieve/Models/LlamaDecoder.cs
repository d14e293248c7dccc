using Sieve.Models.Generation;
using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Models;

/// <summary>
/// A Llama-family decoder (<c>LlamaForCausalLM</c>): token embeddings, <see cref="LlamaLayer"/>s, a final RMSNorm and the
/// LM head (the embedding matrix when tied). Sequences are decoded through <see cref="Session"/>s that keep a key/value
/// cache per layer, so each step runs only its new tokens.
/// </summary>
internal sealed class LlamaDecoder
{
    readonly float[] _words;
    readonly LlamaLayer[] _layers;
    readonly RmsNorm _norm;
    readonly Linear _lmHead;

    /// <param name="config">The shape.</param>
    /// <param name="w">The weights.</param>
    /// <param name="layout">Where the decoder's tensors are.</param>
    public LlamaDecoder(LlamaConfig config, CheckpointReader w, LlavaLayout layout)
    {
        Config = config;
        int d = config.Width;
        _words = w.Tensor(layout.Words, config.VocabSize, d);
        if (w.Has(layout.Layer(config.Layers) + "input_layernorm.weight"))
            throw new SieveFormatException($"the checkpoint has more than the {config.Layers} decoder layers its config.json describes");
        var rotary = new RotaryEmbedding(config.HeadDim, config.RopeTheta);
        _layers = Enumerable.Range(0, config.Layers).Select(i => LlamaLayer.Read(w, layout.Layer(i), config, rotary)).ToArray();
        _norm = new RmsNorm(w.Tensor(layout.FinalNorm, d), config.RmsNormEps);
        // transformers ties the head to the embeddings when tie_word_embeddings is set; a checkpoint may still store it.
        _lmHead = !config.TieWordEmbeddings || w.Has(layout.LmHead + ".weight")
            ? w.Linear(layout.LmHead, d, config.VocabSize, bias: false)
            : new Linear(_words, null, d, config.VocabSize);
    }

    /// <summary>The shape.</summary>
    public LlamaConfig Config { get; }

    /// <summary>Bytes of key/value cache per token (every layer's keys and values, float32).</summary>
    public long CacheBytesPerToken => _layers.Sum(l => 2L * l.Attention.KeyWidth * sizeof(float));

    /// <summary>The token embeddings of <paramref name="ids"/> into <paramref name="x"/> [ids, D].</summary>
    /// <exception cref="ArgumentException">An id is outside the vocabulary.</exception>
    public void Embed(ReadOnlySpan<int> ids, Span<float> x)
    {
        int d = Config.Width;
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)Config.VocabSize) throw new ArgumentException($"token id {ids[i]} is outside the vocabulary of {Config.VocabSize}", nameof(ids));
            _words.AsSpan(ids[i] * d, d).CopyTo(x.Slice(i * d, d));
        }
    }

    /// <summary>A fresh sequence.</summary>
    public Session Start() => new(this, _layers.Select(l => new KeyValueCache(l.Attention.KeyWidth)).ToArray(), 0, null);

    /// <summary>Multiply-adds of running <paramref name="tokens"/> new tokens after <paramref name="before"/> cached ones, with the logits of the last.</summary>
    public long MacsFor(int tokens, int before) =>
        _layers.Sum(l => l.MacsFor(tokens, before + tokens)) + _lmHead.MacsFor(1);

    /// <summary>
    /// One sequence being decoded: its position and each layer's key/value cache, with log(size) per cached token once a
    /// merged visual token stood for several (proportional attention: every later query weighs it as the tokens it replaced).
    /// </summary>
    internal sealed class Session : IDecoderSession
    {
        readonly LlamaDecoder _decoder;
        readonly KeyValueCache[] _caches;
        float[]? _keyBias;

        internal Session(LlamaDecoder decoder, KeyValueCache[] caches, int length, float[]? keyBias) =>
            (_decoder, _caches, Length, _keyBias) = (decoder, caches, length, keyBias);

        /// <inheritdoc />
        public int Length { get; private set; }

        /// <inheritdoc />
        public int VocabSize => _decoder.Config.VocabSize;

        /// <summary>Bytes the key/value caches hold now.</summary>
        public long CacheBytes => _caches.Sum(c => 2L * c.Count * c.Width * sizeof(float));

        /// <inheritdoc />
        public float[] Append(ReadOnlySpan<int> tokens)
        {
            using var x = new Scratch(tokens.Length * _decoder.Config.Width);
            _decoder.Embed(tokens, x.Span);
            return AppendEmbeddings(x.Span, tokens.Length, default);
        }

        /// <summary>
        /// Feeds <paramref name="tokens"/> rows of input embeddings [tokens, D] (text embeddings with image features in
        /// place of the image placeholders) and returns the logits of the token that follows.
        /// </summary>
        /// <param name="x">The rows; overwritten.</param>
        /// <param name="tokens">Rows.</param>
        /// <param name="logSizes">Empty, or log(size) per row (0 for a token that stands for itself).</param>
        /// <exception cref="ArgumentException">The sequence would outgrow <c>max_position_embeddings</c>.</exception>
        public float[] AppendEmbeddings(Span<float> x, int tokens, ReadOnlySpan<float> logSizes)
        {
            var c = _decoder.Config;
            int d = c.Width, start = Length;
            if (tokens <= 0) throw new ArgumentException("no tokens to append", nameof(tokens));
            if (start + tokens > c.MaxPositions)
                throw new ArgumentException($"the sequence would have {start + tokens} tokens, more than the decoder's {c.MaxPositions} positions (max_position_embeddings)", nameof(tokens));
            var positions = new int[tokens];
            for (int i = 0; i < tokens; i++) positions[i] = start + i;
            if (!logSizes.IsEmpty || _keyBias != null)
            {
                Array.Resize(ref _keyBias, start + tokens);
                if (!logSizes.IsEmpty) logSizes.CopyTo(_keyBias.AsSpan(start));
            }
            var rows = x[..(tokens * d)];
            for (int l = 0; l < _caches.Length; l++) _decoder._layers[l].Forward(rows, tokens, positions, _caches[l], _keyBias);
            Length = start + tokens;
            // Only the last token's logits are needed to choose the next one.
            using var last = new Scratch(d);
            _decoder._norm.Forward(rows.Slice((tokens - 1) * d, d), last.Span, 1);
            var logits = new float[c.VocabSize];
            _decoder._lmHead.Forward(last.Span, 1, logits);
            return logits;
        }

        /// <inheritdoc />
        public IDecoderSession Fork() => new Session(_decoder, _caches.Select(k => k.Clone()).ToArray(), Length, (float[]?)_keyBias?.Clone());
    }
}
