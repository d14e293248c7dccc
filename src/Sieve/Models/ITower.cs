using Sieve.Nn;

namespace Sieve.Models;

/// <summary>
/// One transformer tower of a model — a ViT, CLIP's image or text tower, ViLT's fusion stream — with what it
/// computes around its blocks (embedding, pooling, projection or head). Everything that runs, times, traces,
/// visualises or fits a model is written once against this interface.
/// </summary>
public interface ITower
{
    /// <summary>The blocks' shape and the tower's name and modality, for binding a token reducer.</summary>
    TowerInfo Info { get; }

    /// <summary>Side of one image patch in pixels; 0 for a tower without image tokens.</summary>
    int PatchSize { get; }

    /// <summary>Side of the square images the tower is preprocessed to (a fusion tower: its usual size); 0 without image tokens.</summary>
    int ImageSize { get; }

    /// <summary>Most text tokens an input may have; 0 for a tower without text tokens.</summary>
    int TextTokens { get; }

    /// <summary>
    /// The tower's output for one input: class logits (a ViT), a projected embedding (CLIP), answer logits or the
    /// matching score (ViLT, by the head it has). Runs the reducer bound with the model's <c>WithReduction</c>
    /// and <paramref name="hook"/> (an observer such as <c>Sieve.Nn.ForwardTrace</c>, or a reducer when none is bound).
    /// </summary>
    /// <exception cref="ArgumentException">The input does not fit the tower, or <paramref name="hook"/> is a reducer built for another tower.</exception>
    float[] Forward(TowerInput input, BlockHook? hook = null);

    /// <summary>Multiply-adds of the dense forward of <paramref name="input"/>, as fvcore counts them.</summary>
    long DenseMacs(TowerInput input);

    /// <summary>
    /// A deterministic input of the tower's usual size whose content depends on <paramref name="index"/>: images of
    /// <see cref="ImageSize"/>, texts of <paramref name="textTokens"/> tokens (default <see cref="TextTokens"/>) spread
    /// over the vocabulary. For timing: no output depends on what it means.
    /// </summary>
    TowerInput Example(int index, int? textTokens = null);
}
