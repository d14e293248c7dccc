namespace Sieve.Models.Generation;

/// <summary>
/// One sequence being decoded by a causal language model, with its key/value cache: what <see cref="TextGenerator"/>
/// drives, whatever the model (BLIP's text decoder now; any decoder that can append tokens and fork).
/// </summary>
internal interface IDecoderSession
{
    /// <summary>Tokens the session has seen.</summary>
    int Length { get; }

    /// <summary>Rows of the logits <see cref="Append"/> returns.</summary>
    int VocabSize { get; }

    /// <summary>Feeds <paramref name="tokens"/> after those seen and returns the logits of the token that follows them.</summary>
    /// <exception cref="ArgumentException">An id is outside the vocabulary, or the sequence would outgrow the model's positions.</exception>
    float[] Append(ReadOnlySpan<int> tokens);

    /// <summary>An independent copy that continues from here (a second beam); the original is unchanged.</summary>
    IDecoderSession Fork();
}
