using Sieve.Nn;

namespace Sieve.Models;

/// <summary>Every decoder layer's cross-attention keys and values of one context (an image, or a question with its image); dispose after decoding.</summary>
internal sealed class DecoderContext(ContextKeyValues[] layers) : IDisposable
{
    /// <summary>Per layer.</summary>
    public ContextKeyValues[] Layers => layers;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var layer in layers) layer.Dispose();
    }
}
