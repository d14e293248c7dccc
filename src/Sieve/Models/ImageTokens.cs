using System.Numerics.Tensors;
using Sieve.Nn;

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

    /// <summary>The input's image, checked to be the square <paramref name="size"/> × <paramref name="size"/> the tower takes.</summary>
    public static float[] Pixels(TowerInput input, TowerInfo tower, int size)
    {
        var pixels = input.RequirePixels(tower);
        if (input.Height != size || input.Width != size)
            throw new ArgumentException($"the {tower.Name} tower takes {size}×{size} images, got {input.Width}×{input.Height}");
        return pixels;
    }

    /// <summary>
    /// Image number <paramref name="index"/> of a deterministic series in an image-like range, [3, size, size]: sin(0.37·k)
    /// over the series' running element index k, so consecutive images differ.
    /// </summary>
    public static float[] ExamplePixels(int index, int size)
    {
        int n = 3 * size * size;
        var pixels = new float[n];
        for (int i = 0; i < n; i++) pixels[i] = MathF.Sin((index * n + i) * 0.37f);
        return pixels;
    }
}
