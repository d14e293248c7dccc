using System.CommandLine;
using Sieve;
using Sieve.Cli.Commands;
using Spectre.Console;

var root = new RootCommand("Sieve: vision-language transformers on the CPU, with token reduction.")
{
    ClassifyCommand.Create(),
    ZeroShotCommand.Create(),
    EmbedCommand.Create(),
};

try
{
    return root.Parse(args).Invoke();
}
catch (Exception e) when (e is SieveFormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or UnauthorizedAccessException)
{
    AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
    return 2;
}
