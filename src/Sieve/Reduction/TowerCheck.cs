namespace Sieve.Reduction;

/// <summary>Refuses a reducer bound to another tower (its schedule and guidance would not fit).</summary>
internal static class TowerCheck
{
    public static void Reducer(TokenReducer? reducer, TowerInfo tower)
    {
        if (reducer != null && reducer.Tower != tower)
            throw new ArgumentException($"the reducer was built for a {reducer.Tower.Name} tower ({reducer.Tower.Layers} layers × {reducer.Tower.Width}), not this {tower.Name} tower ({tower.Layers} layers × {tower.Width})", nameof(reducer));
    }
}
