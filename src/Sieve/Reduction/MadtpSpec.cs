using Sieve.Nn;
using System.Globalization;

namespace Sieve.Reduction;

/// <summary>
/// MADTP (<c>madtp:t=0.02</c> or <c>madtp:target=0.5</c>): alignment-guided pruning at a temperature, or at a
/// compute target still to be calibrated into one (<see cref="MadtpCalibration"/>, then <see cref="WithTemperature"/>).
/// Exactly one of the two is set.
/// </summary>
public sealed record MadtpSpec : ReducerSpec
{
    internal const string Name = "madtp";

    /// <summary>The compute target a spec with neither <c>t</c> nor <c>target</c> gets.</summary>
    internal const double DefaultTarget = 0.5;

    /// <param name="temperature">T ≥ 0, finite; or null with a <paramref name="target"/>.</param>
    /// <param name="target">Fraction of dense multiply-adds in (0, 1] to calibrate T for; or null with a <paramref name="temperature"/>.</param>
    /// <param name="magTokenCount">Alignment tokens M (≥ 1) when no guidance supplies them.</param>
    /// <param name="seed">Seed of those untrained tokens.</param>
    /// <param name="proportionalAttention">Whether attention adds log(size) to key logits after pruning.</param>
    public MadtpSpec(double? temperature = null, double? target = null, int magTokenCount = MagTokens.DefaultCount, int seed = 0, bool proportionalAttention = true)
    {
        if (temperature != null && target != null) throw new ArgumentException("give t or target, not both");
        if (temperature == null && target == null) throw new ArgumentException("give a temperature t or a compute target");
        if (temperature is { } t && !double.IsFinite(t)) throw new ArgumentException($"t must be a finite number, got {Text(t)}");
        if (temperature is < 0) throw new ArgumentException($"t must be ≥ 0, got {Text(temperature.Value)}");
        if (target is { } f && !(f is > 0 and <= 1)) throw new ArgumentException($"target is a fraction of the dense GFLOPs in (0, 1], got {Text(f)}");
        if (magTokenCount < 1) throw new ArgumentException($"m must be at least 1, got {magTokenCount}");
        Temperature = temperature;
        Target = target;
        MagTokenCount = magTokenCount;
        Seed = seed;
        ProportionalAttention = proportionalAttention;
    }

    /// <summary>The temperature T, when given or calibrated.</summary>
    public double? Temperature { get; }

    /// <summary>The compute target (fraction of dense multiply-adds) still to be calibrated into a temperature.</summary>
    public double? Target { get; }

    /// <summary>Alignment tokens M when none are loaded.</summary>
    public int MagTokenCount { get; }

    /// <summary>Seed of untrained alignment tokens.</summary>
    public int Seed { get; }

    /// <summary>Whether attention adds log(size) to key logits after pruning.</summary>
    public bool ProportionalAttention { get; }

    /// <summary>Whether the target still needs calibrating (<see cref="WithTemperature"/>).</summary>
    public bool NeedsCalibration => Temperature == null;

    /// <inheritdoc />
    public override string Method => Name;

    /// <summary>This spec at a calibrated temperature (the target it was calibrated for is dropped).</summary>
    public MadtpSpec WithTemperature(double temperature) => new(temperature, null, MagTokenCount, Seed, ProportionalAttention);

    /// <inheritdoc />
    public override TokenReducer? Bind(TowerInfo tower, ReductionGuidance? guidance = null) => Temperature is { } t
        ? new MadtpReducer(tower, t, guidance?.MagTokens ?? MagTokens.Random(tower.Width, MagTokenCount, Seed), guidance?.MagMaps(tower), ProportionalAttention)
        : throw new InvalidOperationException($"'{this}' must be calibrated to a temperature first (MadtpCalibration)");

    private protected override IEnumerable<string> Parameters()
    {
        if (Temperature is { } t) yield return $"t={t.ToString("G6", CultureInfo.InvariantCulture)}";
        else if (Target is { } target) yield return $"target={Text(target)}";
        if (MagTokenCount != MagTokens.DefaultCount) yield return $"m={MagTokenCount}";
        if (Seed != 0) yield return $"seed={Seed}";
        foreach (string p in Proportional(ProportionalAttention)) yield return p;
    }

    static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
