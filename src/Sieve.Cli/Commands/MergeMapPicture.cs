using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using SkiaSharp;

namespace Sieve.Cli.Commands;

/// <summary>
/// The picture <c>sieve visualize</c> writes and <c>sieve serve</c>'s <c>/v1/mergemap</c> returns: the model's view of
/// the image and, for several layers, the patches each reducer merged, side by side, as PNG bytes.
/// </summary>
internal static class MergeMapPicture
{
    /// <summary>Runs <paramref name="encoder"/>'s image tower on <paramref name="image"/> with <paramref name="spec"/> and draws <paramref name="layers"/> (1-based).</summary>
    /// <param name="encoder">The dense model (the spec is bound here, for the source maps).</param>
    /// <param name="spec">The image tower's reducer.</param>
    /// <param name="guidance">The spec's guidance, if it needs any.</param>
    /// <param name="image">The decoded image.</param>
    /// <param name="layers">The 1-based layers to draw.</param>
    /// <param name="hook">Also traces the forward (the server's metrics), or null.</param>
    /// <exception cref="ArgumentException">The spec merges more tokens than the tower has.</exception>
    public static byte[] Draw(IImageEncoder encoder, ReducerSpec spec, ReductionGuidance? guidance, RgbImage image, IReadOnlyList<int> layers, BlockHook? hook = null)
    {
        var tower = encoder.ImageTower;
        CliOptions.CheckMerges(spec, tower);
        var view = encoder.Preprocessor.View(image);
        var trace = new ForwardTrace { KeepSourceMaps = true };
        tower.Forward(TowerInput.Image(encoder.Preprocessor.Process(image), tower.ImageSize), BlockHook.Combine(BlockHook.Combine(spec.Bind(tower.Info, guidance), trace), hook));
        var panels = new List<(string Label, RgbImage Image)> { ("input", view) };
        foreach (int layer in layers)
        {
            var step = trace.Layers[layer - 1];
            panels.Add(($"layer {layer}: {step.MlpTokens} tokens", MergeGroupImage.Render(view, tower.PatchSize, step.Source.AsSpan(1))));
        }
        return Compose($"{spec}", panels);
    }

    /// <summary>Four evenly spaced 1-based layers of a tower <paramref name="depth"/> blocks deep, ending with the last.</summary>
    public static int[] DefaultLayers(int depth) =>
        // A tower shallower than 4 blocks has fewer than 4 distinct quarters: none may round to block 0.
        [.. Enumerable.Range(1, 4).Select(i => Math.Max(1, (int)Math.Round(i * depth / 4.0))).Distinct()];

    static byte[] Compose(string title, List<(string Label, RgbImage Image)> panels)
    {
        const int scale = 2, gap = 12, header = 46;
        int w = panels[0].Image.Width * scale, h = panels[0].Image.Height * scale;
        using var canvasBitmap = new SKBitmap(panels.Count * (w + gap) + gap, h + header + gap);
        using var canvas = new SKCanvas(canvasBitmap);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 16);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, gap, 18, font, ink);
        for (int p = 0; p < panels.Count; p++)
        {
            using var bitmap = ToBitmap(panels[p].Image);
            int left = gap + p * (w + gap);
            canvas.DrawText(panels[p].Label, left, header - 4, font, ink);
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, new SKRect(left, header, left + w, header + h), new SKSamplingOptions(SKFilterMode.Nearest));
        }
        using var png = SKImage.FromBitmap(canvasBitmap).Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    static SKBitmap ToBitmap(RgbImage image)
    {
        var bitmap = new SKBitmap(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var px = image.Pixels;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                int i = 3 * (y * image.Width + x);
                bitmap.SetPixel(x, y, new SKColor(px[i], px[i + 1], px[i + 2]));
            }
        return bitmap;
    }
}
