namespace Sieve.Models;

/// <summary>
/// The tensor names of a Hugging Face <c>CLIPModel</c> checkpoint, read by <see cref="ClipModel"/>'s towers
/// and the ONNX exporter.
/// </summary>
internal static class ClipLayout
{
    /// <summary>log of the similarity temperature (a scalar).</summary>
    public const string LogitScale = "logit_scale";

    /// <summary>The image tower (<c>vision_model</c>) and <c>visual_projection</c>.</summary>
    public static class Vision
    {
        /// <summary>The patch embedding conv (no bias).</summary>
        public const string PatchEmbedding = "vision_model.embeddings.patch_embedding";

        /// <summary>The class embedding [D].</summary>
        public const string ClassEmbedding = "vision_model.embeddings.class_embedding";

        /// <summary>The positions [tokens, D], class token first.</summary>
        public const string Positions = "vision_model.embeddings.position_embedding.weight";

        /// <summary>The LayerNorm before the first layer (Hugging Face's spelling).</summary>
        public const string PreNorm = "vision_model.pre_layrnorm";

        /// <summary>The LayerNorm on the class token after the last layer.</summary>
        public const string PostNorm = "vision_model.post_layernorm";

        /// <summary>The projection into the joint space [projection_dim, D], no bias.</summary>
        public const string Projection = "visual_projection";

        /// <summary>Encoder layer <paramref name="i"/>.</summary>
        public static BlockNames Block(int i) => BlockNames.HuggingFace($"vision_model.encoder.layers.{i}");
    }

    /// <summary>The text tower (<c>text_model</c>) and <c>text_projection</c>.</summary>
    public static class Text
    {
        /// <summary>The token embeddings [vocabulary, D].</summary>
        public const string TokenEmbedding = "text_model.embeddings.token_embedding.weight";

        /// <summary>The positions [max_position_embeddings, D].</summary>
        public const string Positions = "text_model.embeddings.position_embedding.weight";

        /// <summary>The LayerNorm on the pooled token after the last layer.</summary>
        public const string FinalNorm = "text_model.final_layer_norm";

        /// <summary>The projection into the joint space [projection_dim, D], no bias.</summary>
        public const string Projection = "text_projection";

        /// <summary>Encoder layer <paramref name="i"/>.</summary>
        public static BlockNames Block(int i) => BlockNames.HuggingFace($"text_model.encoder.layers.{i}");
    }
}
