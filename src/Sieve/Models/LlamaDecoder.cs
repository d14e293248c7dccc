using Sieve.Models.Generation;
using Sieve.Nn;
using Sieve.Reduction;
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

    /// <summary>
    /// Bytes of weights one decoding step reads: every layer's projections and MLP (float32, or int8 under
    /// <paramref name="precision"/>), the norms, and the float32 LM head; the embedding table contributes one row.
    /// </summary>
    public long StepWeightBytes(Precision precision)
    {
        var c = Config;
        long perLayer = (long)(c.Heads + 2 * c.KvHeads) * c.HeadDim * c.Width + (long)c.Heads * c.HeadDim * c.Width + 3L * c.Width * c.MlpHidden;
        return c.Layers * (perLayer * (precision == Precision.Int8 ? 1 : 4) + 2L * c.Width * 4) + (long)c.VocabSize * c.Width * 4 + 2L * c.Width * 4;
    }

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
    public Session Start() => new(this, _layers.Select(l => new KeyValueCache(l.Attention.KeyWidth, l.Attention.KvHeads)).ToArray(), 0, new float[]?[_layers.Length]);

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
        readonly float[]?[] _keyBias; // per layer: FastV leaves later layers fewer cached tokens

        internal Session(LlamaDecoder decoder, KeyValueCache[] caches, int length, float[]?[] keyBias) =>
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
        /// <param name="fastV">Null, or a FastV drop of the <paramref name="visual"/> rows after its layer.</param>
        /// <param name="visual">With <paramref name="fastV"/>: which rows are visual tokens.</param>
        /// <exception cref="ArgumentException">The sequence would outgrow <c>max_position_embeddings</c>.</exception>
        public float[] AppendEmbeddings(Span<float> x, int tokens, ReadOnlySpan<float> logSizes, FastVSpec? fastV = null, ReadOnlySpan<bool> visual = default)
        {
            var c = _decoder.Config;
            int d = c.Width, start = Length, count = tokens;
            if (tokens <= 0) throw new ArgumentException("no tokens to append", nameof(tokens));
            if (start + tokens > c.MaxPositions)
                throw new ArgumentException($"the sequence would have {start + tokens} tokens, more than the decoder's {c.MaxPositions} positions (max_position_embeddings)", nameof(tokens));
            var positions = new int[tokens];
            for (int i = 0; i < tokens; i++) positions[i] = start + i;
            var sizes = logSizes.IsEmpty ? null : logSizes[..tokens].ToArray();
            bool[]? isVisual = fastV != null ? visual[..tokens].ToArray() : null;
            for (int l = 0; l < _caches.Length; l++)
            {
                var cache = _caches[l];
                if (sizes != null || _keyBias[l] != null)
                {
                    Array.Resize(ref _keyBias[l], cache.Count + count);
                    sizes?.AsSpan(0, count).CopyTo(_keyBias[l].AsSpan(cache.Count));
                }
                bool ranks = fastV?.Layer == l;
                using var probabilities = new Scratch(ranks ? c.Heads * count * (cache.Count + count) : 0);
                _decoder._layers[l].Forward(x[..(count * d)], count, positions.AsSpan(0, count), cache, _keyBias[l], ranks ? probabilities.Array : null);
                if (!ranks) continue;
                var kept = fastV!.Kept(probabilities.Span, c.Heads, count, cache.Count, isVisual!);
                if (kept.Length == count) continue;
                // Later layers run the kept rows only, at their own positions.
                for (int i = 0; i < kept.Length; i++)
                {
                    x.Slice(kept[i] * d, d).CopyTo(x.Slice(i * d, d));
                    positions[i] = positions[kept[i]];
                    if (sizes != null) sizes[i] = sizes[kept[i]];
                }
                count = kept.Length;
            }
            Length = start + tokens;
            // Only the last token's logits are needed to choose the next one.
            using var last = new Scratch(d);
            _decoder._norm.Forward(x.Slice((count - 1) * d, d), last.Span, 1);
            var logits = new float[c.VocabSize];
            using var time = OpProfile.Time(OpKind.Head, _decoder._lmHead.MacsFor(1));
            _decoder._lmHead.Forward(last.Span, 1, logits);
            return logits;
        }

        /// <inheritdoc />
        public IDecoderSession Fork() => new Session(_decoder, _caches.Select(k => k.Clone()).ToArray(), Length, _keyBias.Select(b => (float[]?)b?.Clone()).ToArray());
    }
}
