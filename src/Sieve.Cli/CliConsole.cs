using Spectre.Console;

namespace Sieve.Cli;

/// <summary>
/// The two consoles of one <c>sieve</c> run: results on standard output (so they survive a pipe), progress bars,
/// warnings and errors on standard error. A run given its own writers (tests) gets plain consoles over them, for
/// that run only, so runs on other threads keep theirs.
/// </summary>
internal static class CliConsole
{
    static readonly AsyncLocal<Pair?> s_run = new();
    static readonly Lazy<Pair> s_process = new(() => new Pair(
        Create(Console.Out, Console.IsOutputRedirected ? null : Console.WindowWidth, interactive: !Console.IsOutputRedirected),
        Create(Console.Error, Console.IsErrorRedirected ? null : Console.WindowWidth, interactive: !Console.IsErrorRedirected)));

    sealed record Pair(IAnsiConsole Out, IAnsiConsole Error);

    /// <summary>Results: tables, JSON, the outcome of a command.</summary>
    public static IAnsiConsole Out => (s_run.Value ?? s_process.Value).Out;

    /// <summary>Progress, warnings and notes about the results.</summary>
    public static IAnsiConsole Error => (s_run.Value ?? s_process.Value).Error;

    /// <summary>Writes a line to standard output as is: no markup, no wrapping (JSON, file names for scripts).</summary>
    public static void WriteRaw(string text) => Out.Profile.Out.Writer.WriteLine(text);

    /// <summary>Writes <c>warning: …</c> to standard error as one plain line.</summary>
    public static void Warn(string message) => Error.Profile.Out.Writer.WriteLine($"warning: {message}");

    /// <summary>
    /// Sends this run's (asynchronous flow's) output to <paramref name="output"/> and <paramref name="error"/>
    /// until disposed; neither is treated as a terminal.
    /// </summary>
    public static IDisposable Redirect(TextWriter output, TextWriter error)
    {
        var previous = s_run.Value;
        s_run.Value = new Pair(Create(output, null, false), Create(error, null, false));
        return new Restore(() => s_run.Value = previous);
    }

    /// <summary>
    /// The width tables are laid out in: <c>COLUMNS</c> when set, else the terminal's; unbounded when the stream is
    /// not a terminal, so that nothing piped is wrapped mid-path or mid-number.
    /// </summary>
    internal static int Width(string? columns, int? terminal) =>
        int.TryParse(columns, out int c) && c > 0 ? c : terminal is > 0 and int t ? t : Unbounded;

    /// <summary>Wide enough that no line of a table is wrapped, small enough for Spectre's layout buffers.</summary>
    internal const int Unbounded = 4096;

    static IAnsiConsole Create(TextWriter writer, int? terminalWidth, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        console.Profile.Width = Width(Environment.GetEnvironmentVariable("COLUMNS"), terminalWidth);
        return console;
    }

    sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
