namespace Sieve.Reduction;

/// <summary>Which kind of tokens a tower carries.</summary>
public enum Modality
{
    /// <summary>Image patches (plus class and cross tokens).</summary>
    Image,

    /// <summary>Text tokens (start, words, end-of-text).</summary>
    Text,
}
