using System.Globalization;
using System.Text.Json;
using Sieve.Models;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// Prints one image's ranked predictions (classes, or a ViLT's answers) on standard output: a table for one
/// image, one line per image for several, or one JSON object per line (JSON Lines) with <c>--json</c>.
/// </summary>
internal static class PredictionTable
{
    public static void Write(string title, IReadOnlyList<Prediction> predictions, bool showIndex, string label = "class", string score = "probability")
    {
        CliConsole.Out.MarkupLineInterpolated($"[bold]{title}[/]");
        var table = new Table().AddColumn("#").AddColumn(label).AddColumn(new TableColumn(score).RightAligned().NoWrap());
        for (int i = 0; i < predictions.Count; i++)
        {
            var p = predictions[i];
            table.AddRow((i + 1).ToString(), Markup.Escape(Name(p, showIndex)), $"{p.Probability:P2}");
        }
        CliConsole.Out.Write(table);
    }

    /// <summary>The image, a tab, then each prediction with its probability, separated by tabs: one line per image, for many images.</summary>
    public static void WriteLine(string image, IReadOnlyList<Prediction> predictions, bool showIndex) =>
        CliConsole.WriteRaw(string.Join('\t', predictions.Select(p => $"{Name(p, showIndex)} {p.Probability:P2}").Prepend(image)));

    /// <summary>One JSON object on one line: the image, its predictions best first, and any warnings.</summary>
    public static void WriteJson(string image, IReadOnlyList<Prediction> predictions, IReadOnlyList<string> warnings) =>
        CliConsole.WriteRaw(JsonSerializer.Serialize(new
        {
            image,
            predictions = predictions.Select(p => new { label = p.Label, index = p.Index, probability = p.Probability }),
            warnings,
        }));

    /// <summary>Prints each image's predictions in the form its options ask for (see the class summary).</summary>
    public static void WriteAll(IReadOnlyList<string> images, Func<string, IReadOnlyList<Prediction>> predict, bool showIndex, bool json, IReadOnlyList<string> warnings)
    {
        foreach (string image in images)
        {
            var predictions = predict(image);
            if (json) WriteJson(image, predictions, warnings);
            else if (images.Count > 1) WriteLine(image, predictions, showIndex);
            else Write(image, predictions, showIndex);
        }
    }

    static string Name(Prediction p, bool showIndex) => showIndex ? $"{p.Label} ({p.Index.ToString(CultureInfo.InvariantCulture)})" : p.Label;
}
