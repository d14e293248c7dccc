using Sieve.Nn;
namespace Sieve.Reduction;

/// <summary>CrossGET (<c>crossget:r=16</c>): complete-graph matching led by a cross token, with fitted offsets when the guidance has them (<see cref="CrossGetReducer"/>).</summary>
public sealed record CrossGetSpec : MergingSpec
{
    internal const string Name = "crossget";

    /// <summary>The schedule a spec without <c>r</c> or <c>ratio</c> gets: r = 16.</summary>
    internal const string DefaultSchedule = "16";

    /// <param name="schedule">Tokens merged per block.</param>
    /// <param name="proportionalAttention">Whether attention adds log(size) to key logits after merges.</param>
    public CrossGetSpec(MergeSchedule schedule, bool proportionalAttention = true) : base(schedule, proportionalAttention) { }

    /// <inheritdoc />
    public override string Method => Name;

    /// <inheritdoc />
    public override TokenReducer? Bind(TowerInfo tower, ReductionGuidance? guidance = null) =>
        new CrossGetReducer(tower, Schedule, guidance?.CrossTokenOffsets(tower), ProportionalAttention);
}
