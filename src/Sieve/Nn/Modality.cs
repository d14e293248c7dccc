namespace Sieve.Nn;

/// <summary>Which kind of tokens a tower carries.</summary>
public enum Modality
{
    /// <summary>Image patches (plus class and cross tokens).</summary>
    Image,

    /// <summary>Text tokens (start, words, end-of-text).</summary>
    Text,

    /// <summary>Both, in one stream (a fusion model such as ViLT): describes a tower or a token set, never a token.</summary>
    Multimodal,
}
