using System.Numerics.Tensors;
using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>The image towers' shared start: class token, patch embeddings and positions as a token set.</summary>
internal static class ImageTokens
{
    /// <summary>
    /// [class token; patches] + positions, with the class token protected and guiding (it is pooled, and
    /// CrossGET's training-free guide). Room for one cross token.
    /// </summary>
    public static TokenSet Embed(ReadOnlySpan<float> pixels, int imageSize, PatchEmbedding patches, float[] classToken, float[] positions)
    {
        int d = classToken.Length, count = positions.Length / d;
        var tokens = new TokenSet(Modality.Image, count, d, count + 1);
        var x = tokens.Features;
        classToken.CopyTo(x);
        patches.Forward(pixels, imageSize, imageSize, x[d..]);
        TensorPrimitives.Add(x, positions, x);
        tokens.Protect(0);
        tokens.Guide = 0;
        return tokens;
    }
}
