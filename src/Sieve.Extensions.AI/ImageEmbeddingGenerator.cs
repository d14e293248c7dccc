using Microsoft.Extensions.AI;
using Sieve.Data;
using Sieve.Models;

namespace Sieve.Extensions.AI;

/// <summary>
/// Image embeddings as an <c>IEmbeddingGenerator&lt;DataContent, Embedding&lt;float&gt;&gt;</c>: each input is an image's
/// bytes (JPEG, PNG, BMP, GIF) with an <c>image/…</c> media type, decoded and preprocessed as the model's processor does.
/// </summary>
public sealed class ImageEmbeddingGenerator : SieveEmbeddingGenerator<DataContent>
{
    readonly IImageEncoder _model;

    /// <summary>Embeds images with <paramref name="model"/>'s image tower (CLIP: the same space as <see cref="TextEmbeddingGenerator"/>'s).</summary>
    /// <param name="model">Any image encoder (CLIP, a ViT's features).</param>
    /// <param name="modelId">The model's name for the embeddings' metadata.</param>
    /// <param name="options">Reducers and normalisation (null: dense, normalised).</param>
    public ImageEmbeddingGenerator(IImageEncoder model, string modelId, SieveEmbeddingOptions? options = null)
        : base(modelId, model.EmbeddingSize, options ??= new SieveEmbeddingOptions()) =>
        _model = (IImageEncoder)model.WithReduction(options.Reduction, options.Guidance);

    private protected override float[] Embed(DataContent value, int index)
    {
        if (value == null) throw new ArgumentException($"image {index} is null", "values");
        if (!value.HasTopLevelMediaType("image")) throw new ArgumentException($"image {index} has media type '{value.MediaType}', not image/…", "values");
        return _model.EncodeImage(ImageDecoder.Decode(value.Data.Span, value.Name ?? $"image {index}"));
    }
}
