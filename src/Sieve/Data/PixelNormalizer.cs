namespace Sieve.Data;

/// <summary>
/// 8-bit RGB pixels to a model's planar float input: ((v / 255) − mean) / std per channel, in float32,
/// the operations and precision of torchvision's ToTensor and Normalize (and Hugging Face's rescale and
/// normalize). Immutable and thread-safe.
/// </summary>
internal sealed class PixelNormalizer
{
    // The normalised value of each 8-bit level, per channel.
    readonly float[][] _levels;

    /// <exception cref="ArgumentOutOfRangeException">See <see cref="Check"/>.</exception>
    public PixelNormalizer((float R, float G, float B) mean, (float R, float G, float B) std)
    {
        Check(mean, std);
        _levels = [Levels(mean.R, std.R), Levels(mean.G, std.G), Levels(mean.B, std.B)];
    }

    /// <summary>A float32 tensor [3, H, W] (channel planes R, G, B, each row by row).</summary>
    public float[] Apply(RgbImage image)
    {
        ReadOnlySpan<byte> pixels = image.Pixels;
        int plane = image.Width * image.Height;
        var result = new float[3 * plane];
        for (int c = 0; c < 3; c++)
        {
            var levels = _levels[c];
            var output = result.AsSpan(c * plane, plane);
            for (int i = 0; i < plane; i++) output[i] = levels[pixels[3 * i + c]];
        }
        return result;
    }

    /// <summary>Refuses a mean that is not finite or a standard deviation that is not positive and finite.</summary>
    public static void Check((float R, float G, float B) mean, (float R, float G, float B) std)
    {
        if (!float.IsFinite(mean.R) || !float.IsFinite(mean.G) || !float.IsFinite(mean.B))
            throw new ArgumentOutOfRangeException(nameof(mean), mean, "Each mean must be a finite number.");
        if (!IsPositive(std.R) || !IsPositive(std.G) || !IsPositive(std.B))
            throw new ArgumentOutOfRangeException(nameof(std), std, "Each standard deviation must be positive and finite.");
    }

    static bool IsPositive(float x) => x > 0 && float.IsFinite(x);

    static float[] Levels(float mean, float std)
    {
        var levels = new float[256];
        for (int v = 0; v < 256; v++) levels[v] = (v / 255f - mean) / std;
        return levels;
    }
}
