namespace Sieve.Models;

/// <summary>
/// The tensor names of Hugging Face BLIP checkpoints: <c>BlipForImageTextRetrieval</c> (read by <see cref="BlipModel"/>),
/// <c>BlipForConditionalGeneration</c> and <c>BlipForQuestionAnswering</c> (read by <see cref="BlipGenerator"/>).
/// </summary>
internal static class BlipLayout
{
    /// <summary>The vision tower (<c>vision_model</c>) and <c>vision_proj</c>.</summary>
    public static class Vision
    {
        /// <summary>The patch embedding conv (with bias).</summary>
        public const string PatchEmbedding = "vision_model.embeddings.patch_embedding";

        /// <summary>The class embedding [1, 1, D].</summary>
        public const string ClassEmbedding = "vision_model.embeddings.class_embedding";

        /// <summary>The positions [1, tokens, D], class token first (a parameter: no <c>.weight</c>).</summary>
        public const string Positions = "vision_model.embeddings.position_embedding";

        /// <summary>The LayerNorm on every token after the last layer.</summary>
        public const string PostNorm = "vision_model.post_layernorm";

        /// <summary>The contrastive projection [image_text_hidden_size, D], with bias.</summary>
        public const string Projection = "vision_proj";

        /// <summary>Encoder layer <paramref name="i"/>.</summary>
        public static BlockNames Block(int i) => BlockNames.Blip($"vision_model.encoder.layers.{i}");
    }

    /// <summary>The BERT text encoder (<c>text_encoder</c>, no pooler), <c>text_proj</c> and <c>itm_head</c>.</summary>
    public static class Text
    {
        /// <summary>The word embeddings [vocabulary, D].</summary>
        public const string Words = "text_encoder.embeddings.word_embeddings.weight";

        /// <summary>The positions [max_position_embeddings, D].</summary>
        public const string Positions = "text_encoder.embeddings.position_embeddings.weight";

        /// <summary>The LayerNorm of the embeddings.</summary>
        public const string EmbeddingNorm = "text_encoder.embeddings.LayerNorm";

        /// <summary>The contrastive projection [image_text_hidden_size, D], with bias.</summary>
        public const string Projection = "text_proj";

        /// <summary>The image–text matching head [2, D] with bias: logits of (no match, match).</summary>
        public const string MatchHead = "itm_head";

        /// <summary>Encoder layer <paramref name="i"/>, with its cross-attention to the image.</summary>
        public static BlockNames Block(int i) => BlockNames.Bert($"text_encoder.encoder.layer.{i}", cross: true);
    }

    /// <summary>
    /// The text decoder (<c>text_decoder</c>, a <c>BlipTextLMHeadModel</c>): a BERT with causal self-attention and
    /// cross-attention, and its language-model head.
    /// </summary>
    public static class Decoder
    {
        /// <summary>The word embeddings [vocabulary, D] (also the LM head's weight when the checkpoint ties them).</summary>
        public const string Words = "text_decoder.bert.embeddings.word_embeddings.weight";

        /// <summary>The positions [max_position_embeddings, D].</summary>
        public const string Positions = "text_decoder.bert.embeddings.position_embeddings.weight";

        /// <summary>The LayerNorm of the embeddings.</summary>
        public const string EmbeddingNorm = "text_decoder.bert.embeddings.LayerNorm";

        /// <summary>The head's transform: dense [D, D] with bias, then the activation.</summary>
        public const string Transform = "text_decoder.cls.predictions.transform.dense";

        /// <summary>The LayerNorm after the transform.</summary>
        public const string TransformNorm = "text_decoder.cls.predictions.transform.LayerNorm";

        /// <summary>The vocabulary projection [vocabulary, D], no bias of its own; absent when tied to <see cref="Words"/>.</summary>
        public const string Logits = "text_decoder.cls.predictions.decoder.weight";

        /// <summary>The vocabulary bias [vocabulary] (<c>predictions.bias</c>, tied to <c>predictions.decoder.bias</c>).</summary>
        public const string LogitsBias = "text_decoder.cls.predictions.bias";

        /// <summary>The other name <see cref="LogitsBias"/> is saved under.</summary>
        public const string TiedLogitsBias = "text_decoder.cls.predictions.decoder.bias";

        /// <summary>Decoder layer <paramref name="i"/>, with its cross-attention.</summary>
        public static BlockNames Block(int i) => BlockNames.Bert($"text_decoder.bert.encoder.layer.{i}", cross: true);
    }
}
