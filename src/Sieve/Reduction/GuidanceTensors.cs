namespace Sieve.Reduction;

/// <summary>
/// The names of the tensors in a guidance file (<see cref="ReductionGuidance"/>), in one place for the loader,
/// the fitters that write them and the tests: <c>crossget.{tower}.offsets</c>, <c>madtp.tokens</c> and <c>madtp.{tower}.maps</c>.
/// </summary>
internal static class GuidanceTensors
{
    const string CrossGet = "crossget.", Offsets = ".offsets", Madtp = "madtp.", Maps = ".maps";

    /// <summary>MADTP's alignment tokens S [M, D_s], shared by the towers.</summary>
    public const string MagTokens = Madtp + "tokens";

    /// <summary>The guidance names, as an error lists them.</summary>
    public const string Expected = $"{CrossGet}<tower>{Offsets}, {MagTokens}, {Madtp}<tower>{Maps}";

    /// <summary>CrossGET's cross-token offsets of <paramref name="tower"/> [layers, width].</summary>
    public static string CrossTokenOffsets(string tower) => CrossGet + tower + Offsets;

    /// <summary>MADTP's per-layer maps of <paramref name="tower"/> to the alignment width [layers, D_s, width].</summary>
    public static string MagMaps(string tower) => Madtp + tower + Maps;

    /// <summary>Whether <paramref name="name"/> is one of the names above, for some tower.</summary>
    public static bool IsGuidance(string name) => name == MagTokens || PerTower(name, CrossGet, Offsets) || PerTower(name, Madtp, Maps);

    static bool PerTower(string name, string prefix, string suffix) =>
        name.Length > prefix.Length + suffix.Length && name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(suffix, StringComparison.Ordinal);
}
