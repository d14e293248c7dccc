using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Sieve.Models;

namespace Sieve.Extensions.AI;

/// <summary>Registers Sieve's CLIP embedding generators with dependency injection.</summary>
public static class SieveServiceCollectionExtensions
{
    /// <summary>
    /// Registers <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> (text) and
    /// <c>IEmbeddingGenerator&lt;DataContent, Embedding&lt;float&gt;&gt;</c> (images) over the CLIP in
    /// <paramref name="modelDirectory"/>, as singletons sharing one loaded model, loaded when first asked for.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="modelDirectory">A Hugging Face CLIP folder.</param>
    /// <param name="options">Reducers and normalisation (null: dense, normalised).</param>
    public static IServiceCollection AddSieveClip(this IServiceCollection services, string modelDirectory, SieveEmbeddingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        string modelId = Path.GetFileName(Path.GetFullPath(modelDirectory).TrimEnd(Path.DirectorySeparatorChar));
        var model = new Lazy<ClipModel>(() => ClipModel.Load(modelDirectory));
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(_ => new TextEmbeddingGenerator(model.Value, modelId, options));
        services.AddSingleton<IEmbeddingGenerator<DataContent, Embedding<float>>>(_ => new ImageEmbeddingGenerator(model.Value, modelId, options));
        return services;
    }
}
