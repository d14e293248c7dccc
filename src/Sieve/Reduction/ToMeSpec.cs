using Sieve.Nn;
namespace Sieve.Reduction;

/// <summary>ToMe (<c>tome:r=13</c>): bipartite soft matching, no guidance (<see cref="ToMeReducer"/>).</summary>
public sealed record ToMeSpec : MergingSpec
{
    internal const string Name = "tome";

    /// <summary>The schedule a spec without <c>r</c> or <c>ratio</c> gets: r = 13.</summary>
    internal const string DefaultSchedule = "13";

    /// <param name="schedule">Tokens merged per block.</param>
    /// <param name="proportionalAttention">Whether attention adds log(size) to key logits after merges.</param>
    public ToMeSpec(MergeSchedule schedule, bool proportionalAttention = true) : base(schedule, proportionalAttention) { }

    /// <inheritdoc />
    public override string Method => Name;

    /// <inheritdoc />
    public override TokenReducer? Bind(TowerInfo tower, ReductionGuidance? guidance = null) => new ToMeReducer(tower, Schedule, ProportionalAttention);
}
