using Microsoft.Extensions.AI;
using Sieve.Models;
using Sieve.Tensors;

namespace Sieve.Extensions.AI;

/// <summary>
/// What Sieve's embedding generators share: a model with its reducers bound once, batches spread over the cores a
/// whole input per core (each vector independent of the batch it came in, of the thread count and of concurrent
/// callers), cancellation between inputs, optional normalisation, and metadata through <see cref="GetService"/>.
/// </summary>
/// <typeparam name="TInput">What is embedded.</typeparam>
public abstract class SieveEmbeddingGenerator<TInput> : IEmbeddingGenerator<TInput, Embedding<float>>
{
    readonly EmbeddingGeneratorMetadata _metadata;
    readonly bool _normalize;

    /// <param name="modelId">The model's name, reported as the embeddings' model id.</param>
    /// <param name="dimensions">Length of every vector.</param>
    /// <param name="options">Reducers and normalisation.</param>
    private protected SieveEmbeddingGenerator(string modelId, int dimensions, SieveEmbeddingOptions options)
    {
        _metadata = new EmbeddingGeneratorMetadata("Sieve", defaultModelId: modelId, defaultModelDimensions: dimensions);
        _normalize = options.Normalize;
    }

    /// <summary>One input's vector, from the model with its reducers bound; <paramref name="index"/> names it in errors.</summary>
    private protected abstract float[] Embed(TInput value, int index);

    /// <inheritdoc/>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<TInput> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values.ToArray();
        if (options?.Dimensions is int asked && asked != _metadata.DefaultModelDimensions)
            throw new ArgumentException($"the model gives {_metadata.DefaultModelDimensions}-dimensional embeddings, not {asked}", nameof(options));
        return Task.Run(() =>
        {
            var vectors = new float[inputs.Length][];
            Threading.ForEachSample(inputs.Length, i =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                vectors[i] = _normalize ? Normalized(Embed(inputs[i], i)) : Embed(inputs[i], i);
            });
            var created = DateTimeOffset.UtcNow;
            return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = _metadata.DefaultModelId, CreatedAt = created }));
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey != null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Nothing to release: the model's weights belong to whoever loaded it.</summary>
    public void Dispose() => GC.SuppressFinalize(this);

    static float[] Normalized(float[] v)
    {
        double norm = Math.Sqrt(v.Sum(x => (double)x * x));
        return norm > 0 ? v.Select(x => (float)(x / norm)).ToArray() : v;
    }
}
