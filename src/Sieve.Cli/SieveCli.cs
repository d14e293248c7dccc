using System.CommandLine;
using System.CommandLine.Invocation;
using Sieve.Cli.Commands;

namespace Sieve.Cli;

/// <summary>The <c>sieve</c> command line: parses arguments, runs a command, reports errors without stack traces.</summary>
public static class SieveCli
{
    /// <summary>Exit code for bad input (a malformed file, a wrong option, a missing model).</summary>
    public const int InputError = 2;

    /// <summary>Runs <c>sieve</c> with <paramref name="args"/>; returns the process exit code.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="output">Where results and help go (default: standard output).</param>
    /// <param name="error">Where progress, warnings and errors go (default: standard error, or <paramref name="output"/> when only that is given).</param>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
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
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr });
        }
        catch (Exception e) when (UsageError.Message(e) is { } message)
        {
            // Plain text on stderr: no markup, no wrapping, easy to grep.
            stderr.WriteLine($"error: {message}");
            return InputError;
        }
    }

    /// <summary>The command tree, named <c>sieve</c> in usage lines whatever the executable is called.</summary>
    internal static Command Root()
    {
        var root = new Command("sieve", "Sieve: vision-language transformers on the CPU, with token reduction.")
        {
            ClassifyCommand.Create(),
            ZeroShotCommand.Create(),
            EmbedCommand.Create(),
            VqaCommand.Create(),
            MatchCommand.Create(),
            BenchCommand.Create(),
            EvalCommand.Create(),
            SweepCommand.Create(),
            FitGuidanceCommand.Create(),
            VisualizeCommand.Create(),
            ExportOnnxCommand.Create(),
            PullCommand.Create(),
            CreateRandomCommand.Create(),
        };
        foreach (var option in new RootCommand().Options) root.Options.Add(option); // --help, --version
        root.Options.Add(CliOptions.AllowTruncatedImages());
        return root;
    }
}
