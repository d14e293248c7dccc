namespace Sieve.Nn;

/// <summary>Where a transformer block normalises.</summary>
internal enum NormPlacement
{
    /// <summary>Before each sublayer, x ← x + f(LN(x)) (ViT, CLIP, ViLT, BLIP's vision tower).</summary>
    Pre,
    /// <summary>After each residual sum, x ← LN(x + f(x)) (BERT, BLIP's text encoder).</summary>
    Post,
}
