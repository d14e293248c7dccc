using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>The hook a tower's forward runs: the reducer bound to it (<c>WithReduction</c>) and the caller's.</summary>
internal static class TowerHooks
{
    /// <exception cref="ArgumentException"><paramref name="hook"/> is a reducer built for another tower, or a second reducer.</exception>
    public static BlockHook? With(TokenReducer? bound, BlockHook? hook, TowerInfo tower)
    {
        TowerCheck.Hook(hook, tower);
        if (bound != null && hook?.Tower != null)
            throw new ArgumentException($"this {tower.Name} tower already runs a reducer (bound by WithReduction); pass an observer, or a reducer to the model without one", nameof(hook));
        return BlockHook.Combine(bound, hook);
    }
}
