using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>A loaded model: its towers, and a way to run it with token reduction.</summary>
public interface IModel
{
    /// <summary>The model's transformer towers (one for a ViT or ViLT; image then text for CLIP).</summary>
    IReadOnlyList<ITower> Towers { get; }

    /// <summary>
    /// The model with <paramref name="reduction"/>'s reducer bound to each tower it names (the spec picks the reducer
    /// by the tower's modality, so an image reducer cannot end up in a text tower). Weights are shared, not copied.
    /// </summary>
    /// <param name="reduction">The reducers per tower.</param>
    /// <param name="guidance">Fitted guidance for this model, or null.</param>
    IModel WithReduction(ModelReduction reduction, ReductionGuidance? guidance = null);
}
