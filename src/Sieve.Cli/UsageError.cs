using System.CommandLine;
using System.CommandLine.Parsing;

namespace Sieve.Cli;

/// <summary>
/// The one line <c>sieve</c> prints for a usage error or a refused input: names what the user typed, never a
/// parameter of an internal method, never a multi-line dump, never a whole 100,000-character argument.
/// </summary>
internal static class UsageError
{
    /// <summary>Longest echo of something the user typed; a longer one is cut in the middle.</summary>
    const int EchoLength = 120;

    /// <summary><paramref name="text"/> as it may appear in a message: cut when long, with its length.</summary>
    public static string Echo(string text) =>
        text.Length <= EchoLength ? text : $"{text[..(EchoLength / 2)]}…{text[^20..]} ({text.Length:N0} characters)";

    /// <summary>What is wrong with a command line that did not parse: the first problem, with a suggestion for a typo.</summary>
    public static string Describe(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        string where = CommandPath(parsed.CommandResult);
        string? unknownOption = OptionLikeArgument(parsed);
        if (parsed.UnmatchedTokens.Count > 0 || unknownOption != null)
        {
            string token = unknownOption ?? parsed.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
                return $"unknown option '{Echo(token)}' for `{where}`{Suggest(token, names)}; see `{where} --help`";
            }
            if (command.Subcommands.Count > 0 && parsed.CommandResult.Parent == null)
                return $"unknown command '{Echo(token)}'{Suggest(token, command.Subcommands.Select(c => c.Name))}; see `sieve --help`";
            return $"unexpected argument '{Echo(token)}' for `{where}`; see `{where} --help`";
        }
        var first = parsed.Errors.FirstOrDefault();
        string message = first == null ? "invalid command line" : OneLine(first.Message);
        if (message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            return $"no command given; see `{where} --help`";
        return $"{message} (`{where}`; see `{where} --help`)";
    }

    /// <summary>
    /// An unknown option that the parser took as one of the command's arguments (an image file), as it does for
    /// <c>classify --modle x IMG</c>: a value of an argument that starts with <c>-</c> and a letter. Null when there
    /// is none, or when <c>--</c> marks everything after it as arguments.
    /// </summary>
    public static string? OptionLikeArgument(ParseResult parsed) =>
        parsed.Tokens.Any(t => t.Type == TokenType.DoubleDash) ? null
        : parsed.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value)
            .FirstOrDefault(v => v.Length > 1 && v[0] == '-' && char.IsLetter(v.TrimStart('-').FirstOrDefault()));

    /// <summary>The message to show for an exception a command threw on bad input; null for a bug (which keeps its stack trace).</summary>
    public static string? Message(Exception e) => e switch
    {
        // IOException covers what the file system refuses (a directory where a file is expected, a full disk).
        SieveFormatException or IOException or UnauthorizedAccessException or Sieve.Hub.HubException
            => OneLine(WithCause(e)),
        // A method's own argument names mean nothing to the user: drop the "(Parameter 'x')" suffix.
        ArgumentException a => OneLine(a.ParamName != null ? a.Message.Replace($" (Parameter '{a.ParamName}')", "", StringComparison.Ordinal) : a.Message),
        _ => null,
    };

    /// <summary>The message, with the cause's when the message defers to it.</summary>
    static string WithCause(Exception e) =>
        e.InnerException is { } inner && e.Message.Contains("inner exception", StringComparison.OrdinalIgnoreCase)
            ? $"{e.Message.Split(" See the inner exception")[0].TrimEnd('.')}: {WithCause(inner)}"
            : e.Message;

    static string OneLine(string message) =>
        message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Aggregate((line, next) => line + (line.EndsWith(':') || line.EndsWith('?') ? " " : "; ") + next); // "one of: 'a'; 'b'"

    static string CommandPath(SymbolResult? result)
    {
        var names = new List<string>();
        for (var r = result; r != null; r = r.Parent)
            if (r is CommandResult c) names.Insert(0, c.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>" (did you mean X?)" for the closest of <paramref name="candidates"/> within two edits, else nothing.</summary>
    static string Suggest(string token, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (string candidate in candidates.Distinct())
        {
            int d = Distance(token, candidate);
            if (d < bestDistance) (best, bestDistance) = (candidate, d);
        }
        return best == null ? "" : $" (did you mean {best}?)";
    }

    /// <summary>Damerau–Levenshtein (optimal string alignment) distance: a swap of neighbours counts once.</summary>
    internal static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 2 || a.Length > 64 || b.Length > 64) return int.MaxValue;
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
