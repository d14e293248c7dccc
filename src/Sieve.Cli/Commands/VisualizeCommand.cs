using System.CommandLine;
using Sieve.Models;
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
        var precision = CliOptions.Precision();
        var image = new Argument<string>("image") { Description = "Image file" };
        var command = new Command("visualize", "Draw which patches each reducer merged, layer by layer") { model, reducer, guidance, layers, output, precision, image };
        command.SetAction(async (r, cancellationToken) =>
        {
            string dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, cancellationToken: cancellationToken), outPath = r.GetValue(output)!;
            if (!string.Equals(Path.GetExtension(outPath), ".png", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out '{outPath}' must be a .png file");
            OutputGuard.Check("--out", outPath, [r.GetValue(image), r.GetValue(guidance)], [dir]);
            var (parsed, guide) = CliOptions.Reduction(r.GetValue(reducer)!, r.GetValue(guidance), dir, textTower: false); // only the image tower is drawn
            var spec = parsed.Vision;
            var encoder = ModelFolder.Load(dir, r.GetValue(precision));
            var picked = Layers(r.GetValue(layers), encoder.ImageTower.Info.Layers);
            var png = MergeMapPicture.Draw(encoder, spec, guide, CliOptions.ImageReader()(r.GetValue(image)!), picked);
            string temp = outPath + ".tmp";
            File.WriteAllBytes(temp, png);
            File.Move(temp, outPath, overwrite: true);
            CliConsole.Out.MarkupLineInterpolated($"wrote [green]{outPath}[/] ({picked.Length} layers of {spec})");
            return 0;
        });
        return command;
    }

    static int[] Layers(string? text, int depth)
    {
        if (text == null) return MergeMapPicture.DefaultLayers(depth);
        return [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v =>
            int.TryParse(v, out int l) && l >= 1 && l <= depth ? l : throw new ArgumentException($"--layers: '{v}' is not a layer in 1…{depth}"))];
    }
}
