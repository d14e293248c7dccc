using System.CommandLine;
using System.CommandLine.Invocation;
using Sieve.Cli.Commands;

namespace Sieve.Cli;

/// <summary>The <c>sieve</c> command line: parses arguments, runs a command, reports errors without stack traces.</summary>
public static class SieveCli
{
    /// <summary>Exit code for bad input (a malformed file, a wrong option, a missing model).</summary>
    public const int InputError = 2;

    /// <summary>Exit code of a cancelled run (Ctrl+C), as a shell reports a process ended by SIGINT.</summary>
    public const int Cancelled = 130;

    /// <summary>Runs <c>sieve</c> with <paramref name="args"/>; returns the process exit code.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="output">Where results and help go (default: standard output).</param>
    /// <param name="error">Where progress, warnings and errors go (default: standard error, or <paramref name="output"/> when only that is given).</param>
    /// <param name="cancellationToken">
    /// Cancels the command, as Ctrl+C does: a Hub download stops at once and keeps what arrived (<c>.incomplete</c>) for
    /// the next run to resume; the run ends with <see cref="Cancelled"/>.
    /// </param>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        using var redirect = output != null ? CliConsole.Redirect(output, error ?? output) : null;
        var stdout = CliConsole.Out.Profile.Out.Writer;
        var stderr = CliConsole.Error.Profile.Out.Writer;
        var root = Root();
        var parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction || (parsed.Action is not System.CommandLine.Help.HelpAction && UsageError.OptionLikeArgument(parsed) != null))
        {
            stderr.WriteLine($"error: {UsageError.Describe(parsed)}");
            return InputError;
        }
        CliOptions.SetAllowDamagedImages(parsed.GetValue<bool>(CliOptions.AllowTruncatedImagesName));
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr, ProcessTerminationTimeout = TimeSpan.FromSeconds(2) }, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Only a cancel gets here: the Hub client reports its own time-outs as HubException.
            stderr.WriteLine("error: cancelled");
            return Cancelled;
        }
        catch (Exception e) when (UsageError.Message(e) is { } message)
        {
            // Plain text on stderr: no markup, no wrapping, easy to grep.
            stderr.WriteLine($"error: {message}");
            return InputError;
        }
    }

    /// <summary>
    /// <see cref="RunAsync"/> for callers that cannot await (tests): it blocks the calling thread until the command
    /// ends, so a run that may download a model should use <see cref="RunAsync"/>.
    /// </summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null) => RunAsync(args, output, error).GetAwaiter().GetResult();

    /// <summary>The command tree, named <c>sieve</c> in usage lines whatever the executable is called.</summary>
    internal static Command Root()
    {
        var root = new Command("sieve", "Sieve: vision-language transformers on the CPU, with token reduction.")
        {
            ClassifyCommand.Create(),
            ZeroShotCommand.Create(),
            EmbedCommand.Create(),
            VqaCommand.Create(),
            CaptionCommand.Create(),
            ChatCommand.Create(),
            MatchCommand.Create(),
            BenchCommand.Create(),
            EvalCommand.Create(),
            SweepCommand.Create(),
            TuneCommand.Create(),
            FitGuidanceCommand.Create(),
            VisualizeCommand.Create(),
            ExportOnnxCommand.Create(),
            PullCommand.Create(),
            ConvertCommand.Create(),
            QuantizeCommand.Create(),
            CreateRandomCommand.Create(),
            ServeCommand.Create(),
            LoadtestCommand.Create(),
        };
        foreach (var option in new RootCommand().Options) root.Options.Add(option); // --help, --version
        root.Options.Add(CliOptions.AllowTruncatedImages());
        return root;
    }
}
