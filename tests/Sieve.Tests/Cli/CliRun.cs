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
    public static CliRun Of(params string[] args) => OfAsync(args).GetAwaiter().GetResult();

    /// <summary>
    /// <see cref="Of"/>, awaited: for runs that download from a (fake) Hub, which must not block the test's thread;
    /// <paramref name="cancellationToken"/> cancels the run as Ctrl+C does.
    /// </summary>
    public static async Task<CliRun> OfAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await SieveCli.RunAsync(args, stdout, stderr, cancellationToken);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }
}
