using Sieve.Data;

namespace Sieve.Cli.Commands;

/// <summary>
/// ToMe-style picture of merged groups: each patch painted with the mean colour of all patches in its
/// group, white lines where neighbouring patches belong to different groups, black where a patch was
/// pruned away.
/// </summary>
internal static class MergeGroupImage
{
    /// <param name="view">The image as the model saw it (S × S).</param>
    /// <param name="patch">Patch size in pixels.</param>
    /// <param name="group">Group of each patch, row by row (the source map without the class token); −1 if pruned.</param>
    public static RgbImage Render(RgbImage view, int patch, ReadOnlySpan<int> group)
    {
        int grid = view.Width / patch, w = view.Width, h = view.Height;
        if (grid * grid != group.Length) throw new ArgumentException($"{group.Length} patch groups for a {grid}×{grid} grid", nameof(group));
        int groups = 0;
        foreach (int g in group) groups = Math.Max(groups, g + 1);
        var sum = new long[groups * 3];
        var count = new long[groups];
        var pixels = view.Pixels;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int g = group[(y / patch) * grid + x / patch], i = 3 * (y * w + x);
                if (g < 0) continue;
                for (int c = 0; c < 3; c++) sum[3 * g + c] += pixels[i + c];
                count[g]++;
            }
        var result = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int py = y / patch, px = x / patch, g = group[py * grid + px], i = 3 * (y * w + x);
                // A border on the first pixel row/column of a patch whose neighbour above/left is another group.
                bool edge = (y % patch == 0 && py > 0 && group[(py - 1) * grid + px] != g)
                    || (x % patch == 0 && px > 0 && group[py * grid + px - 1] != g);
                for (int c = 0; c < 3; c++) result[i + c] = edge ? (byte)255 : g < 0 ? (byte)0 : (byte)(sum[3 * g + c] / count[g]);
            }
        return new RgbImage(w, h, result);
    }
}
