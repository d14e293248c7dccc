using Sieve.Models;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>Prints one image's ranked predictions (classes, or a ViLT's answers).</summary>
internal static class PredictionTable
{
    public static void Write(string title, IReadOnlyList<Prediction> predictions, bool showIndex, string label = "class", string score = "probability")
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{title}[/]");
        var table = new Table().AddColumn("#").AddColumn(label).AddColumn(new TableColumn(score).RightAligned());
        for (int i = 0; i < predictions.Count; i++)
        {
            var p = predictions[i];
            table.AddRow((i + 1).ToString(), Markup.Escape(showIndex ? $"{p.Label} ({p.Index})" : p.Label), $"{p.Probability:P2}");
        }
        AnsiConsole.Write(table);
    }
}
