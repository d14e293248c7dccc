using System.CommandLine;
using Sieve.Eval;
using Sieve.Tensors;

namespace Sieve.Cli.Commands;

/// <summary>
/// The options that choose an evaluation task, its model and data, and how it is timed — declared once for
/// <c>eval</c>, <c>sweep</c> and <c>tune</c>, so the three take the same task options and read them the same way.
/// </summary>
internal sealed class TaskCommandOptions
{
    public Option<string> Model { get; } = CliOptions.Model();
    public Option<string> Data { get; } = EvalOptions.Data();
    public Option<string> Task { get; } = EvalOptions.Task();
    public Option<string?> Classes { get; } = EvalOptions.Classes();
    public Option<string?> Split { get; } = EvalOptions.Split();
    public Option<string?> ImageRoot { get; } = EvalOptions.ImageRoot();
    public Option<string[]> Template { get; } = EvalOptions.Template();
    public Option<string?> Annotations { get; } = EvalOptions.Annotations();
    public Option<string?> ImageMap { get; } = EvalOptions.ImageMap();
    public Option<int?> Negatives { get; } = EvalOptions.Negatives();
    public Option<int?> Rerank { get; } = EvalOptions.Rerank();
    public Option<string?> Prompt { get; } = EvalOptions.Prompt();
    public Option<int?> Limit { get; } = EvalOptions.Limit();
    public Option<string?> Guidance { get; } = CliOptions.Guidance();
    public Option<int> TimingItems { get; } = EvalOptions.TimingImages();
    public Option<int> Rounds { get; } = EvalOptions.Rounds();
    public Option<int?> Threads { get; } = CliOptions.Threads();

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Model, Data, Task, Classes, Split, ImageRoot, Template, Annotations, ImageMap, Negatives, Rerank, Prompt, Limit, Guidance, TimingItems, Rounds, Threads })
            command.Options.Add(option);
    }

    /// <summary>What <see cref="EvalTasks.OpenAsync"/> builds the task from, with the command's own parts.</summary>
    /// <param name="r">The parsed command line.</param>
    /// <param name="reducers">The reducer specs to run.</param>
    /// <param name="quiet">No progress on stderr (JSON output).</param>
    /// <param name="calibration">Items MADTP targets are calibrated on.</param>
    /// <param name="texts">eval's --texts, or null.</param>
    /// <param name="precision">The command's --precision (eval, sweep and tune each declare their own).</param>
    public EvalTasks.Options Read(ParseResult r, IReadOnlyList<string> reducers, bool quiet, int calibration = 1, string? texts = null, Precision precision = Precision.Float32) =>
        new(r.GetValue(Task)!, r.GetValue(Model)!, r.GetValue(Data)!, reducers, r.GetValue(Guidance), r.GetValue(Limit), calibration, quiet,
            texts, r.GetValue(Split), r.GetValue(ImageRoot), r.GetValue(Classes), r.GetValue(Template) ?? [], r.GetValue(Annotations), r.GetValue(ImageMap), r.GetValue(Negatives), precision, r.GetValue(Rerank), r.GetValue(Prompt));

    /// <summary>The speed settings given (--timing-images, --rounds).</summary>
    public SpeedOptions Speed(ParseResult r) => EvalOptions.Speed(r.GetValue(TimingItems), r.GetValue(Rounds));

    /// <summary>Applies --threads.</summary>
    public void ApplyThreads(ParseResult r) => CliOptions.ApplyThreads(r.GetValue(Threads));
}
