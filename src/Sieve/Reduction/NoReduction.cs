using Sieve.Nn;
namespace Sieve.Reduction;

/// <summary>The dense model: no reducer runs (<c>none</c>; <see cref="ReducerSpec.None"/>).</summary>
public sealed record NoReduction : ReducerSpec
{
    internal const string Name = "none";

    internal static NoReduction Instance { get; } = new();

    NoReduction() { }

    /// <inheritdoc />
    public override string Method => Name;

    /// <inheritdoc />
    public override TokenReducer? Bind(TowerInfo tower, ReductionGuidance? guidance = null) => null;

    private protected override IEnumerable<string> Parameters() => [];
}
