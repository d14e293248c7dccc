using Sieve.Nn;
namespace Sieve.Reduction;

/// <summary>
/// One tower's reducer, typed: <see cref="NoReduction"/> (<see cref="None"/>), <see cref="ToMeSpec"/>,
/// <see cref="CrossGetSpec"/>, <see cref="MadtpSpec"/> or <see cref="PumerSpec"/>. Each validates itself
/// on construction and builds its own reducer (<see cref="Bind"/>); equal specs are equal records. The
/// text form (<see cref="Parse"/>, <see cref="ToString"/>): <c>none</c>, <c>tome:r=13</c>,
/// <c>crossget:r=16</c>, <c>madtp:target=0.5</c>, <c>madtp:t=0.02</c> or, on fusion models, <c>pumer</c>
/// (<c>pumer:layers=2/5/8,p=0.1,mi=0.3,mt=0.2</c>, the released setting). Merge schedules: <c>r=13</c>
/// (constant), <c>r=4..20</c> (linear ramp), <c>r=16/16/12/…</c> (one per layer) or <c>ratio=0.1</c> (of
/// the current candidates). Every method but <c>none</c> takes <c>prop=off</c> to switch proportional attention off.
/// </summary>
public abstract record ReducerSpec
{
    // Only this assembly's records derive: a spec outside the five could not be parsed back from its text.
    private protected ReducerSpec() { }

    /// <summary>The dense model.</summary>
    public static NoReduction None => NoReduction.Instance;

    /// <summary>The method's name as a spec writes it: <c>none</c>, <c>tome</c>, <c>crossget</c>, <c>madtp</c> or <c>pumer</c>.</summary>
    public abstract string Method { get; }

    /// <summary>Whether this is the dense model.</summary>
    public bool IsNone => this is NoReduction;

    /// <summary>Builds the reducer for a tower; null for <c>none</c>.</summary>
    /// <param name="tower">The tower it will run in.</param>
    /// <param name="guidance">Null (training-free / untrained), or fitted guidance for this model.</param>
    public abstract TokenReducer? Bind(TowerInfo tower, ReductionGuidance? guidance = null);

    /// <summary>Parses one tower's spec; errors name the spec, the parameter and what was expected.</summary>
    public static ReducerSpec Parse(string text) => ReducerSpecParser.Parse(text);

    /// <summary>The spec in its canonical text form (parses back to an equal spec).</summary>
    public sealed override string ToString()
    {
        var parts = Parameters().ToList();
        return parts.Count == 0 ? Method : $"{Method}:{string.Join(',', parts)}";
    }

    /// <summary>The parameters that differ from the method's defaults, as <c>key=value</c>, in canonical order.</summary>
    private protected abstract IEnumerable<string> Parameters();

    /// <summary><c>prop=off</c> when proportional attention is off; every method's last parameter.</summary>
    private protected static IEnumerable<string> Proportional(bool on) => on ? [] : ["prop=off"];
}
