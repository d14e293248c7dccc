using System.CommandLine;
using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using SkiaSharp;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve visualize --model DIR --reducer SPEC IMAGE --out PNG</c>: the image and, for several layers,
/// the merged groups (from the source map), side by side.
/// </summary>
internal static class VisualizeCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var reducer = new Option<string>("--reducer", "-r") { Description = "Reducer spec, e.g. tome:r=13 or crossget:r=16", Required = true };
        var guidance = CliOptions.Guidance();
        var layers = new Option<string?>("--layers") { Description = "1-based layers to draw, comma-separated (default: 4 evenly spaced, ending with the last)" };
        var output = new Option<string>("--out", "-o") { Description = "PNG to write", Required = true };
        var image = new Argument<string>("image") { Description = "Image file" };
        var command = new Command("visualize", "Draw which patches each reducer merged, layer by layer") { model, reducer, guidance, layers, output, image };
        command.SetAction(async (r, cancellationToken) =>
        {
            string dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, cancellationToken: cancellationToken), outPath = r.GetValue(output)!;
            if (!string.Equals(Path.GetExtension(outPath), ".png", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out '{outPath}' must be a .png file");
            OutputGuard.Check("--out", outPath, [r.GetValue(image), r.GetValue(guidance)], [dir]);
            var (parsed, guide) = CliOptions.Reduction(r.GetValue(reducer)!, r.GetValue(guidance), dir, textTower: false); // only the image tower is drawn
            var spec = parsed.Vision;
            var encoder = ModelFolder.Load(dir);
            CliOptions.CheckMerges(spec, encoder.ImageTower);
            var tower = encoder.ImageTower;
            var picked = Layers(r.GetValue(layers), tower.Info.Layers);
            var decoded = CliOptions.ImageReader()(r.GetValue(image)!);
            var view = encoder.Preprocessor.View(decoded);
            var trace = new ForwardTrace { KeepSourceMaps = true };
            tower.Forward(TowerInput.Image(encoder.Preprocessor.Process(decoded), tower.ImageSize), BlockHook.Combine(spec.Bind(tower.Info, guide), trace));

            var panels = new List<(string Label, RgbImage Image)> { ("input", view) };
            foreach (int layer in picked)
            {
                var step = trace.Layers[layer - 1];
                panels.Add(($"layer {layer}: {step.MlpTokens} tokens", MergeGroupImage.Render(view, tower.PatchSize, step.Source.AsSpan(1))));
            }
            Save(outPath, $"{spec}", panels);
            CliConsole.Out.MarkupLineInterpolated($"wrote [green]{outPath}[/] ({panels.Count - 1} layers of {spec})");
            return 0;
        });
        return command;
    }

    static int[] Layers(string? text, int depth)
    {
        // A tower shallower than 4 blocks has fewer than 4 distinct quarters: none may round to block 0.
        if (text == null) return [.. Enumerable.Range(1, 4).Select(i => Math.Max(1, (int)Math.Round(i * depth / 4.0))).Distinct()];
        return [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v =>
            int.TryParse(v, out int l) && l >= 1 && l <= depth ? l : throw new ArgumentException($"--layers: '{v}' is not a layer in 1…{depth}"))];
    }

    static void Save(string path, string title, List<(string Label, RgbImage Image)> panels)
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
        string temp = path + ".tmp";
        using (var file = File.Create(temp)) png.SaveTo(file);
        File.Move(temp, path, overwrite: true);
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
