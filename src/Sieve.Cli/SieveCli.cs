using System.CommandLine;
using Sieve.Cli.Commands;

namespace Sieve.Cli;

/// <summary>The <c>sieve</c> command line: parses arguments, runs a command, reports errors without stack traces.</summary>
public static class SieveCli
{
    /// <summary>Exit code for bad input (a malformed file, a wrong option, a missing model).</summary>
    public const int InputError = 2;

    /// <summary>Runs <c>sieve</c> with <paramref name="args"/>; returns the process exit code.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="console">Where help and usage errors go (default: the process's standard streams).</param>
    public static int Run(string[] args, TextWriter? console = null)
    {
        var root = new RootCommand("Sieve: vision-language transformers on the CPU, with token reduction.")
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
        };
        var allowTruncated = CliOptions.AllowTruncatedImages();
        root.Options.Add(allowTruncated);
        try
        {
            var parsed = root.Parse(args);
            CliOptions.SetAllowDamagedImages(parsed.GetValue(allowTruncated));
            return parsed.Invoke(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                Output = console ?? Console.Out,
                Error = console ?? Console.Error,
            });
        }
        catch (Exception e) when (e is SieveFormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or UnauthorizedAccessException or Sieve.Hub.HubException)
        {
            // Plain text on stderr: no markup, no wrapping, easy to grep.
            (console ?? Console.Error).WriteLine($"error: {e.Message}");
            return InputError;
        }
    }
}
