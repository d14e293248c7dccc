namespace Sieve.Nn;

/// <summary>Refuses a hook built for another tower (a reducer's schedule and guidance would not fit).</summary>
internal static class TowerCheck
{
    public static void Hook(BlockHook? hook, TowerInfo tower)
    {
        if (hook?.Tower is { } built && built != tower)
            throw new ArgumentException($"the reducer was built for a {built.Name} tower ({built.Layers} layers × {built.Width}), not this {tower.Name} tower ({tower.Layers} layers × {tower.Width})", nameof(hook));
    }
}
