namespace Sieve.Eval;

/// <summary>How <see cref="TaskEvaluations"/> reads a task's data: how many items, damaged images, progress and warnings.</summary>
public sealed record DataLoading
{
    readonly int? _limit;

    /// <summary>Use only the first N items (images, questions; retrieval: images with all their captions); null: all.</summary>
    public int? Limit
    {
        get => _limit;
        init => _limit = value is < 1 ? throw new ArgumentOutOfRangeException(nameof(Limit), value, "a limit must be at least 1") : value;
    }

    /// <summary>Decode JPEGs and PNGs that are cut short or damaged as far as they go instead of refusing them.</summary>
    public bool AllowDamagedImages { get; init; }

    /// <summary>Null, or called once per image read (from worker threads).</summary>
    public Action? ImageRead { get; init; }

    /// <summary>Null, or called with a one-line warning (texts cut to the tower's length).</summary>
    public Action<string>? Warning { get; init; }

    /// <summary>The first <see cref="Limit"/> of <paramref name="count"/> items.</summary>
    internal int Take(int count) => Math.Min(Limit ?? int.MaxValue, count);
}
