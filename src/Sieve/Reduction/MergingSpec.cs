namespace Sieve.Reduction;

/// <summary>A reducer that merges a scheduled number of tokens per block: <see cref="ToMeSpec"/> or <see cref="CrossGetSpec"/>.</summary>
public abstract record MergingSpec : ReducerSpec
{
    private protected MergingSpec(MergeSchedule schedule, bool proportionalAttention)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        Schedule = schedule;
        ProportionalAttention = proportionalAttention;
    }

    /// <summary>Tokens merged per block.</summary>
    public MergeSchedule Schedule { get; }

    /// <summary>Whether attention adds log(size) to key logits after merges.</summary>
    public bool ProportionalAttention { get; }

    private protected override IEnumerable<string> Parameters() =>
        [Schedule.IsRatio ? $"ratio={Schedule.Text}" : $"r={Schedule.Text}", .. Proportional(ProportionalAttention)];
}
