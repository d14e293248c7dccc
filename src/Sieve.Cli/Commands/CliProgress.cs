using Sieve.Hub;
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
        if (!CliConsole.Error.Profile.Capabilities.Interactive)
        {
            // Piped to a file: one line, not a redraw per item.
            CliConsole.Error.WriteLine($"{label} …");
            work(() => { });
            return;
        }
        CliConsole.Error.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: total);
                work(() => task.Increment(1));
            });
    }

    /// <summary>
    /// Runs a Hub pull, drawing a bar per downloaded file (bytes, rate, time left); nothing is drawn when
    /// everything is cached. Returns what <paramref name="pull"/> returns.
    /// </summary>
    public static async Task<string> DownloadAsync(bool quiet, Func<IProgress<HubDownloadProgress>?, Task<string>> pull)
    {
        if (quiet) return await pull(null);
        if (!CliConsole.Error.Profile.Capabilities.Interactive)
        {
            // Piped to a file: one line per file, when its download starts.
            var started = new HashSet<string>();
            return await pull(new Callback(p =>
            {
                if (started.Add(p.File)) CliConsole.Error.WriteLine(p.Total is long total ? $"downloading {p.File} ({total / 1048576.0:F1} MiB) …" : $"downloading {p.File} …");
            }));
        }
        return await CliConsole.Error.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                return pull(new Callback(p =>
                {
                    if (!tasks.TryGetValue(p.File, out var task))
                        tasks[p.File] = task = ctx.AddTask(Markup.Escape(p.File), maxValue: Math.Max(1, p.Total ?? 1));
                    if (p.Total is long total) task.MaxValue = Math.Max(1, total);
                    task.Value = p.Bytes;
                }));
            });
    }

    /// <summary>Reports on the downloading thread, as Spectre's tasks may be updated from any thread.</summary>
    sealed class Callback(Action<HubDownloadProgress> report) : IProgress<HubDownloadProgress>
    {
        public void Report(HubDownloadProgress value) => report(value);
    }
}
