using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>A progress bar around long work (silent when the output is machine-readable).</summary>
internal static class CliProgress
{
    /// <summary>Runs <paramref name="work"/>, which calls its argument once per finished item (from any thread).</summary>
    public static void Run(string label, int total, bool quiet, Action<Action> work)
    {
        if (quiet)
        {
            work(() => { });
            return;
        }
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Piped to a file: one line, not a redraw per item.
            AnsiConsole.WriteLine($"{label} …");
            work(() => { });
            return;
        }
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: total);
                work(() => task.Increment(1));
            });
    }
}
