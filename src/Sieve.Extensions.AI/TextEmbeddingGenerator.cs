using Sieve.Models;

namespace Sieve.Extensions.AI;

/// <summary>
/// Text embeddings (CLIP's text tower) as an <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>, in the same
/// space as <see cref="ImageEmbeddingGenerator"/>'s over the same model.
/// </summary>
public sealed class TextEmbeddingGenerator : SieveEmbeddingGenerator<string>
{
    readonly ITextModel _model;

    /// <summary>Embeds texts with <paramref name="model"/>'s tokenizer and text tower (a text beyond the tower's length is cut, as CLIP does).</summary>
    /// <param name="model">A model with a text tower (CLIP).</param>
    /// <param name="modelId">The model's name for the embeddings' metadata.</param>
    /// <param name="options">Reducers and normalisation (null: dense, normalised).</param>
    public TextEmbeddingGenerator(ITextModel model, string modelId, SieveEmbeddingOptions? options = null)
        : base(modelId, EmbeddingSize(model), options ??= new SieveEmbeddingOptions()) =>
        _model = (ITextModel)model.WithReduction(options.Reduction, options.Guidance);

    private protected override float[] Embed(string value, int index) =>
        _model.TextTower.Forward(TowerInput.Text(_model.Tokenize(value ?? throw new ArgumentException($"text {index} is null", "values")).Ids));

    static int EmbeddingSize(ITextModel model) =>
        model is IImageEncoder encoder ? encoder.EmbeddingSize : throw new ArgumentException("the model has no shared image–text embedding space", nameof(model));
}
