namespace Sieve.Reduction;

/// <summary>
/// PuMer's settings (ALGORITHMS.md §4): the blocks it runs in, the share of image tokens pruned by text
/// attention, and the shares of image and text tokens merged. Validated on construction.
/// </summary>
public sealed record PumerOptions
{
    /// <summary>The released ViLT setting: layers 2, 5, 8; p = 0.1; m_i = 0.3; m_t = 0.2.</summary>
    public static PumerOptions Released { get; } = new([2, 5, 8], 0.1, 0.3, 0.2);

    /// <param name="layers">Blocks (0-based) PuMer runs in; distinct, ascending.</param>
    /// <param name="pruneRatio">p: image tokens pruned, as a share of the image tokens V at that block.</param>
    /// <param name="imageMergeRatio">m_i: image tokens merged, as a share of V.</param>
    /// <param name="textMergeRatio">m_t: text tokens merged, as a share of the text tokens T.</param>
    public PumerOptions(IReadOnlyList<int> layers, double pruneRatio, double imageMergeRatio, double textMergeRatio)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("PuMer needs at least one layer", nameof(layers));
        for (int i = 0; i < layers.Count; i++)
            if (layers[i] < 0 || (i > 0 && layers[i] <= layers[i - 1]))
                throw new ArgumentException($"PuMer layers must be distinct, ascending and ≥ 0, got {string.Join('/', layers)}", nameof(layers));
        Ratio(pruneRatio, "prune ratio p");
        Ratio(imageMergeRatio, "image merge ratio m_i");
        Ratio(textMergeRatio, "text merge ratio m_t");
        Layers = layers.ToArray();
        PruneRatio = pruneRatio;
        ImageMergeRatio = imageMergeRatio;
        TextMergeRatio = textMergeRatio;
    }

    /// <summary>Blocks PuMer runs in, ascending.</summary>
    public IReadOnlyList<int> Layers { get; }

    /// <summary>p: share of image tokens pruned.</summary>
    public double PruneRatio { get; }

    /// <summary>m_i: share of image tokens merged.</summary>
    public double ImageMergeRatio { get; }

    /// <summary>m_t: share of text tokens merged.</summary>
    public double TextMergeRatio { get; }

    /// <summary>Equal when layers and ratios are.</summary>
    public bool Equals(PumerOptions? other) =>
        other is not null && Layers.SequenceEqual(other.Layers) && PruneRatio == other.PruneRatio
        && ImageMergeRatio == other.ImageMergeRatio && TextMergeRatio == other.TextMergeRatio;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Layers.Count, Layers[0], PruneRatio, ImageMergeRatio, TextMergeRatio);

    static void Ratio(double value, string name)
    {
        if (!(value is >= 0 and < 1)) throw new ArgumentOutOfRangeException(name, value, $"PuMer {name} must be in [0, 1)");
    }
}
