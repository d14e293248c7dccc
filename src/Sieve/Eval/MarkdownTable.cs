namespace Sieve.Eval;

/// <summary>GitHub Markdown tables, for documents: the first column left-aligned, the others (numbers) right-aligned.</summary>
internal static class MarkdownTable
{
    /// <summary>Writes <paramref name="title"/> and a blank line (when given), the header row, its alignment row and <paramref name="rows"/>.</summary>
    public static void Write(TextWriter output, string? title, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        if (title != null)
        {
            output.WriteLine(title);
            output.WriteLine();
        }
        output.WriteLine($"| {string.Join(" | ", headers)} |");
        output.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---:|", headers.Count - 1))}");
        foreach (var row in rows) output.WriteLine($"| {string.Join(" | ", row)} |");
    }
}
