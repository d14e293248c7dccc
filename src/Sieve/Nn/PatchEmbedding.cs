using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// A stride-p, p×p convolution over a CHW image (ViT's and CLIP's patch embedding), computed as one GEMM
/// over the unfolded patches; patch rows are in raster order, feature index = c·p² + y·p + x as in the
/// PyTorch conv weight [D, C, p, p].
/// </summary>
internal sealed class PatchEmbedding(Linear projection, int channels, int patchSize)
{
    /// <summary>Patch side in pixels.</summary>
    public int PatchSize => patchSize;

    /// <summary>Output width D.</summary>
    public int Width => projection.Out;

    /// <summary>Embeds every patch of a [C, H, W] image into <paramref name="output"/> (one row per patch).</summary>
    public void Forward(ReadOnlySpan<float> pixels, int height, int width, Span<float> output)
    {
        int p = patchSize, gh = height / p, gw = width / p, cols = channels * p * p;
        if (pixels.Length != channels * height * width)
            throw new ArgumentException($"image tensor has {pixels.Length} values, expected {channels}×{height}×{width}", nameof(pixels));
        using var time = OpProfile.Time(OpKind.PatchEmbedding, projection.MacsFor(gh * gw));
        using var buffer = new Scratch(gh * gw * cols);
        var patches = buffer.Span;
        for (int py = 0; py < gh; py++)
            for (int px = 0; px < gw; px++)
            {
                var row = patches.Slice((py * gw + px) * cols, cols);
                for (int c = 0; c < channels; c++)
                    for (int y = 0; y < p; y++)
                        pixels.Slice(c * height * width + (py * p + y) * width + px * p, p).CopyTo(row.Slice(c * p * p + y * p, p));
            }
        projection.Forward(patches, gh * gw, output);
    }

    /// <summary>Multiply-adds for <paramref name="patches"/> patches.</summary>
    public long MacsFor(int patches) => projection.MacsFor(patches);
}
