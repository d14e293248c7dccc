using System.Globalization;
using System.Text;
using Sieve.Eval;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// The columns every evaluation task prints, as a table, JSON and markdown: the reducer, the task's own metrics,
/// agreement with dense, GMACs per item as executed and their ratio to dense, items/s and speed-up. Rows are dense first.
/// </summary>
internal static class TaskReport
{
    /// <summary>The results as a table on stdout, with a footnote on what the columns mean and how speed was measured.</summary>
    public static void WriteTable(string title, string itemName, IReadOnlyList<ITaskResult> rows, string note, string timingNote)
    {
        var table = new Table().Title(Markup.Escape(title)).AddColumn(new TableColumn("reducer").NoWrap());
        foreach (string column in Columns(rows[0], itemName)) table.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned().NoWrap()); // a number is never split over lines
        foreach (var row in rows) table.AddRow([Markup.Escape(row.Reducer), .. Cells(row, rows[0]).Select(Markup.Escape)]);
        CliConsole.Out.Write(table);
        CliConsole.Out.MarkupLine(Markup.Escape($"{note}; GMACs per {Singular(itemName)} as executed (fvcore's \"GFLOPs\"); {timingNote}."));
    }

    /// <summary>The rows for JSON: the shared fields, the task's metrics under <c>metrics</c> by their keys.</summary>
    public static IEnumerable<object> Json(IReadOnlyList<ITaskResult> rows) => rows.Select(r => new
    {
        reducer = r.Reducer, items = r.Items, score = r.Score, agreement = r.Agreement, cosine = r.Cosine,
        gMacs = r.GMacs, gMacsRatio = r.GMacs / rows[0].GMacs, itemsPerSecond = r.ItemsPerSecond, speedUp = r.SpeedUp,
        metrics = r.Metrics.ToDictionary(m => m.Key, m => m.Value),
    });

    /// <summary>The rows as a markdown table (reducers in backticks), the same columns as <see cref="WriteTable"/>.</summary>
    public static string Markdown(string itemName, IReadOnlyList<ITaskResult> rows)
    {
        var columns = Columns(rows[0], itemName).ToArray();
        var md = new StringBuilder($"| reducer | {string.Join(" | ", columns)} |\n|---|{string.Concat(columns.Select(_ => "---:|"))}\n");
        foreach (var row in rows) md.Append(CultureInfo.InvariantCulture, $"| `{row.Reducer}` | {string.Join(" | ", Cells(row, rows[0]))} |\n");
        return md.ToString();
    }

    static IEnumerable<string> Columns(ITaskResult first, string itemName) =>
        [.. first.Metrics.Select(m => m.Name), "agree", "GMACs", "GMACs ratio", $"{Abbreviation(itemName)}/s", "speed-up"];

    static IEnumerable<string> Cells(ITaskResult row, ITaskResult dense) =>
    [
        .. row.Metrics.Select(m => m.Value.ToString("F" + m.Decimals, CultureInfo.InvariantCulture)),
        (100 * row.Agreement).ToString("F1", CultureInfo.InvariantCulture) + "%",
        row.GMacs.ToString("F3", CultureInfo.InvariantCulture),
        (row.GMacs / dense.GMacs).ToString("F2", CultureInfo.InvariantCulture),
        row.ItemsPerSecond?.ToString("F1", CultureInfo.InvariantCulture) ?? "–",
        row.SpeedUp is { } s ? s.ToString("F2", CultureInfo.InvariantCulture) + "×" : "–",
    ];

    static string Abbreviation(string itemName) => itemName switch { "images" => "img", "questions" => "q", _ => itemName };

    static string Singular(string itemName) => itemName.EndsWith('s') ? itemName[..^1] : itemName;
}
