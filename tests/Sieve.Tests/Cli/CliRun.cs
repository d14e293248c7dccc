using Sieve.Cli;

namespace Sieve.Tests.Cli;

/// <summary>One in-process run of <c>sieve</c>: its exit code, and its standard output and standard error apart.</summary>
/// <param name="Code">Exit code.</param>
/// <param name="Stdout">What went to standard output (results).</param>
/// <param name="Stderr">What went to standard error (progress, warnings, errors).</param>
internal sealed record CliRun(int Code, string Stdout, string Stderr)
{
    /// <summary>Both streams, output first, for tests that look for a message wherever it went.</summary>
    public string Output => Stdout + Stderr;

    /// <summary>The exit code and both streams together.</summary>
    public void Deconstruct(out int code, out string output) => (code, output) = (Code, Output);

    /// <summary>Runs <c>sieve</c> with <paramref name="args"/>, each stream into its own writer.</summary>
    public static CliRun Of(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = SieveCli.Run(args, stdout, stderr);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }
}
