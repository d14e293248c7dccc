using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>How a reducer reaches a tower: bound by <c>WithReduction</c> (checked to fit), and combined with each forward's hook.</summary>
internal static class TowerHooks
{
    /// <summary>The reducer <paramref name="reduction"/> gives <paramref name="tower"/> (null: dense), checked to fit it.</summary>
    /// <exception cref="ArgumentException">The spec cannot apply to the tower (see <see cref="CheckFits"/>, <see cref="ModelReduction.For"/>).</exception>
    public static TokenReducer? Bind(ITower tower, ModelReduction reduction, ReductionGuidance? guidance)
    {
        var spec = reduction.For(tower.Info);
        CheckFits(spec, tower);
        return spec.Bind(tower.Info, guidance);
    }

    /// <summary>
    /// Refuses a merge schedule that asks for more than an image tower's patches can give rather than let it be capped
    /// silently (<see cref="MergeSchedule.CheckFits"/>); text and fusion towers are not checked, their length depends on the input.
    /// </summary>
    public static void CheckFits(ReducerSpec spec, ITower tower)
    {
        if (tower.Info.Modality != Modality.Image || spec is not MergingSpec { Schedule: var schedule }) return;
        int side = tower.ImageSize / tower.PatchSize;
        schedule.CheckFits(tower.Info.Layers, side * side, tower.Info.Name);
    }

    /// <summary>The hook a forward runs: the <paramref name="bound"/> reducer and the caller's <paramref name="hook"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="hook"/> is a reducer built for another tower, or a second reducer.</exception>
    public static BlockHook? With(TokenReducer? bound, BlockHook? hook, TowerInfo tower)
    {
        TowerCheck.Hook(hook, tower);
        if (bound != null && hook?.Tower != null)
            throw new ArgumentException($"this {tower.Name} tower already runs a reducer (bound by WithReduction); pass an observer, or a reducer to the model without one", nameof(hook));
        return BlockHook.Combine(bound, hook);
    }
}
