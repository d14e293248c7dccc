namespace Sieve.Data;

/// <summary>
/// How the long side is rounded when an image is resized so that its short side has a given length.
/// Reference pipelines differ here, and a one-pixel difference moves every pixel of the centre crop.
/// </summary>
public enum ResizeRounding
{
    /// <summary>
    /// Python's <c>round(side × target / short)</c>, half to even (262.5 → 262, 263.5 → 264): the rule
    /// used to make Sieve's timm reference outputs.
    /// </summary>
    PythonRound,

    /// <summary>
    /// <c>int(target × side / short)</c>, truncated: Hugging Face's shortest-edge resize (and torchvision's).
    /// </summary>
    Truncate,
}
