using Sieve.Nn;
namespace Sieve.Reduction;

/// <summary>PuMer (<c>pumer</c>) on a fusion tower: text-informed pruning and modality-aware merging (<see cref="PumerReducer"/>).</summary>
public sealed record PumerSpec : ReducerSpec
{
    internal const string Name = "pumer";

    /// <param name="options">Its layers and ratios (<see cref="PumerOptions.Released"/>: the released setting).</param>
    /// <param name="proportionalAttention">Whether attention adds log(size) to key logits after merges.</param>
    public PumerSpec(PumerOptions options, bool proportionalAttention = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        ProportionalAttention = proportionalAttention;
    }

    /// <summary>PuMer's layers and ratios.</summary>
    public PumerOptions Options { get; }

    /// <summary>Whether attention adds log(size) to key logits after merges.</summary>
    public bool ProportionalAttention { get; }

    /// <inheritdoc />
    public override string Method => Name;

    /// <inheritdoc />
    public override TokenReducer? Bind(TowerInfo tower, ReductionGuidance? guidance = null) => new PumerReducer(tower, Options, ProportionalAttention);

    private protected override IEnumerable<string> Parameters()
    {
        if (Options != PumerOptions.Released)
        {
            yield return $"layers={string.Join('/', Options.Layers)}";
            yield return FormattableString.Invariant($"p={Options.PruneRatio},mi={Options.ImageMergeRatio},mt={Options.TextMergeRatio}");
        }
        foreach (string p in Proportional(ProportionalAttention)) yield return p;
    }
}
