using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>
/// BLIP's BERT text encoder (Hugging Face <c>text_encoder</c>, no pooler) with <c>text_proj</c> and <c>itm_head</c>:
/// LayerNorm(word + position embeddings), post-norm layers whose cross-attention reads the image tokens. Alone (no
/// image) the cross-attention is skipped and the [CLS] row, projected, is the contrastive text embedding; with the
/// image tokens, <c>itm_head</c> on the [CLS] row gives the matching logits. In a <c>BlipForQuestionAnswering</c> it has
/// no heads: every token's state, the question encoded with the image, is what the answer decoder reads.
/// </summary>
public sealed class BlipTextTower : ITower
{
    readonly EmbeddingTable _words;
    readonly float[] _positions;
    readonly Nn.LayerNorm _embeddingNorm;
    readonly Encoder _encoder;
    readonly Linear? _projection, _matchHead;
    readonly BlipConfig _config;
    TokenReducer? _reducer; // set only on the copies WithReducer makes

    internal BlipTextTower(BlipConfig config, CheckpointReader w, bool heads = true)
    {
        _config = config;
        var c = config.Text;
        int d = c.Width;
        _words = w.Embedding(BlipLayout.Text.Words, config.VocabSize, d, w.Precision);
        _positions = w.Tensor(BlipLayout.Text.Positions, config.MaxPositions, d);
        _embeddingNorm = w.LayerNorm(BlipLayout.Text.EmbeddingNorm, d, c.LayerNormEps);
        if (w.Has(BlipLayout.Text.Block(c.Layers).Norm1 + ".weight"))
            throw new SieveFormatException($"the checkpoint has more than the {c.Layers} text layers its config.json describes");
        _encoder = new Encoder(Enumerable.Range(0, c.Layers)
            .Select(i => w.Block(BlipLayout.Text.Block(i), i, d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation, NormPlacement.Post, config.Vision.Width))
            .ToArray());
        if (!heads) return;
        _projection = w.Linear(BlipLayout.Text.Projection, d, config.ImageTextWidth);
        _matchHead = w.Linear(BlipLayout.Text.MatchHead, d, 2);
    }

    /// <inheritdoc />
    public TowerInfo Info => new("text", Modality.Text, _config.Text.Layers, _config.Text.Width, _config.Text.Heads);

    /// <inheritdoc />
    int ITower.PatchSize => 0;

    /// <inheritdoc />
    int ITower.ImageSize => 0;

    /// <inheritdoc />
    public int TextTokens => _config.MaxPositions;

    /// <summary>This tower with <paramref name="reducer"/> bound (weights shared).</summary>
    internal BlipTextTower WithReducer(TokenReducer? reducer)
    {
        TowerCheck.Hook(reducer, Info);
        var bound = (BlipTextTower)MemberwiseClone();
        bound._reducer = reducer;
        return bound;
    }

    /// <summary>The contrastive text embedding (projected, not normalised): the text encoded alone, [CLS] through <c>text_proj</c>.</summary>
    /// <param name="ids">Token ids, [CLS] … [SEP].</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    /// <exception cref="ArgumentException">Too many tokens, or an id outside the vocabulary.</exception>
    public float[] Encode(ReadOnlySpan<int> ids, BlockHook? hook = null) => Run(ids, null, _projection, hook);

    /// <summary>The matching logits (no match, match): the text encoded with cross-attention to <paramref name="image"/>, [CLS] through <c>itm_head</c>.</summary>
    internal float[] MatchLogits(ReadOnlySpan<int> ids, TokenContext image, BlockHook? hook = null) => Run(ids, image, _matchHead, hook);

    /// <summary>
    /// Every token's last state (fewer, with their sizes, when the bound reducer merged some): the text encoded with
    /// cross-attention to <paramref name="image"/>, as <c>BlipForQuestionAnswering</c> encodes its question.
    /// </summary>
    internal TokenContext States(ReadOnlySpan<int> ids, TokenContext image, BlockHook? hook = null)
    {
        using var set = Encoded(ids, image, 0, hook);
        return TokenContext.Of(set);
    }

    float[] Run(ReadOnlySpan<int> ids, TokenContext? image, Linear? head, BlockHook? hook)
    {
        if (head == null)
            throw new SieveFormatException("this BLIP text encoder has no text_proj or itm_head (a BlipForQuestionAnswering checkpoint): contrastive and matching scores need a BlipForImageTextRetrieval one");
        using var set = Encoded(ids, image, head.MacsFor(1), hook);
        var output = new float[head.Out];
        head.Forward(set.Row(set.Source[0]), 1, output);
        return output;
    }

    /// <summary>The encoder's forward; <paramref name="headMacs"/> are reported as outside the blocks.</summary>
    TokenSet Encoded(ReadOnlySpan<int> ids, TokenContext? image, long headMacs, BlockHook? hook)
    {
        hook = TowerHooks.With(_reducer, hook, Info);
        if (ids.IsEmpty) throw new ArgumentException("token sequence is empty", nameof(ids));
        if (ids.Length > _config.MaxPositions)
            throw new ArgumentException($"{ids.Length} tokens exceed the model's {_config.MaxPositions} text positions (max_position_embeddings)", nameof(ids));
        int tokens = ids.Length, d = _config.Text.Width;
        for (int i = 0; i < tokens; i++)
            if ((uint)ids[i] >= (uint)_config.VocabSize)
                throw new ArgumentException($"token id {ids[i]} at position {i} is outside the vocabulary of {_config.VocabSize}", nameof(ids));
        var set = new TokenSet(Modality.Text, tokens, d, tokens + 1);
        try
        {
            var x = set.Features;
            for (int i = 0; i < tokens; i++)
                _words.AddRow(ids[i], _positions.AsSpan(i * d, d), x.Slice(i * d, d));
            _embeddingNorm.Forward(x, x, tokens);
            // [CLS] is pooled and guides; [SEP] closes the text: neither is merged.
            set.Protect(0);
            set.Protect(tokens - 1);
            set.Guide = 0;
            hook?.Outside(headMacs);
            _encoder.Forward(set, causal: false, hook, image);
            return set;
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public float[] Forward(TowerInput input, BlockHook? hook = null) => Encode(input.RequireIds(Info), hook);

    /// <inheritdoc />
    public long DenseMacs(TowerInput input) => MacsFor(input.RequireIds(Info).Length);

    /// <summary>
    /// <paramref name="textTokens"/> tokens (default: all positions): BERT's [CLS] (101), words spread over the vocabulary
    /// past BERT's special and unused ids, [SEP] (102); <paramref name="index"/> does not change them.
    /// </summary>
    public TowerInput Example(int index, int? textTokens = null)
    {
        int t = textTokens ?? _config.MaxPositions, v = _config.VocabSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(t, 2);
        return TowerInput.Text([.. Enumerable.Range(0, t).Select(i => i == 0 ? 101 % v : i == t - 1 ? 102 % v : (1000 + i * 7919) % v)]);
    }

    /// <summary>Multiply-adds of the contrastive encoding of <paramref name="tokens"/> tokens.</summary>
    public long MacsFor(int tokens) => _encoder.MacsFor(tokens) + (_projection?.MacsFor(1) ?? 0);

    /// <summary>Multiply-adds of the matching encoding of <paramref name="tokens"/> tokens cross-attending to <paramref name="imageTokens"/>.</summary>
    public long MatchMacsFor(int tokens, int imageTokens) => _encoder.MacsFor(tokens, imageTokens) + (_matchHead?.MacsFor(1) ?? 0);
}
