using Sieve.Models;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>Prints one image's ranked predictions.</summary>
internal static class PredictionTable
{
    public static void Write(string file, IReadOnlyList<Prediction> predictions, bool showIndex)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{file}[/]");
        var table = new Table().AddColumn("#").AddColumn("class").AddColumn(new TableColumn("probability").RightAligned());
        for (int i = 0; i < predictions.Count; i++)
        {
            var p = predictions[i];
            table.AddRow((i + 1).ToString(), Markup.Escape(showIndex ? $"{p.Label} ({p.Index})" : p.Label), $"{p.Probability:P2}");
        }
        AnsiConsole.Write(table);
    }
}
