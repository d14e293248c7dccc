using System.CommandLine;

namespace Sieve.Cli.Commands;

/// <summary>
/// Part <see cref="Index"/> of <see cref="Count"/> of a batch job's inputs (<c>--shard I/N</c>, I from 0 like a
/// Kubernetes indexed Job's <c>JOB_COMPLETION_INDEX</c> or a Slurm array's task id from 0): the contiguous run of
/// inputs [⌊I·n/N⌋, ⌊(I+1)·n/N⌋), so that the shards' outputs, one after another in index order, are the unsharded output.
/// </summary>
internal readonly record struct Shard(int Index, int Count)
{
    /// <summary>The most shards a job may be split into.</summary>
    public const int MaxCount = 100_000;

    /// <summary>The <c>--shard</c> option.</summary>
    public static Option<string?> Option() => new("--shard")
    {
        Description = "Do only part I of N (I from 0) of the inputs, e.g. 0/4, for a job spread over machines; the parts combine with --merge",
    };

    /// <summary>Reads <c>I/N</c>; <paramref name="what"/> names the text in the error.</summary>
    public static Shard Parse(string text, string what = "--shard")
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int index) && int.TryParse(parts[1], out int count)
            && count is >= 1 and <= MaxCount && index >= 0 && index < count)
            return new Shard(index, count);
        throw new SieveFormatException($"{what} '{UsageError.Echo(text)}': expected I/N with 0 ≤ I < N ≤ {MaxCount}, e.g. 0/4");
    }

    /// <summary>The first input of this shard and the one after its last, of <paramref name="inputs"/>.</summary>
    public (int Start, int End) Range(int inputs) => ((int)((long)Index * inputs / Count), (int)((long)(Index + 1) * inputs / Count));

    /// <summary>
    /// Checks that <paramref name="shards"/>, of one count, are every shard of a job exactly once — what <c>--merge</c>
    /// needs before it combines their outputs.
    /// </summary>
    /// <exception cref="SieveFormatException">A shard is given twice, or one is missing.</exception>
    public static void CheckComplete(IReadOnlyList<Shard> shards)
    {
        int count = shards[0].Count;
        var indexes = shards.Select(s => s.Index).ToList();
        if (indexes.GroupBy(i => i).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new SieveFormatException($"--merge: shard {twice.Key}/{count} is given more than once");
        if (indexes.Count != count)
            throw new SieveFormatException($"--merge: shard {Enumerable.Range(0, count).First(i => !indexes.Contains(i))}/{count} is missing ({indexes.Count} of {count} given)");
    }

    public override string ToString() => $"{Index}/{Count}";
}
