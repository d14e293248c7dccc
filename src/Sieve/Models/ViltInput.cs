namespace Sieve.Models;

/// <summary>
/// One image–text pair as ViLT takes it: token ids ([CLS] … [SEP]) and a preprocessed image [3, H, W]
/// of any size of at least one patch per side. Checked on construction.
/// </summary>
public sealed record ViltInput
{
    /// <param name="ids">Token ids, [CLS] first.</param>
    /// <param name="pixels">Preprocessed image, [3, <paramref name="height"/>, <paramref name="width"/>].</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="attentionMask">
    /// Null, or Hugging Face's <c>attention_mask</c>: 1 for a real token, 0 for padding. Masked tokens are
    /// not computed at all; every kept token keeps its original position, which is exactly Hugging Face's
    /// masked attention. The first token ([CLS]) is pooled and must be kept.
    /// </param>
    /// <param name="warning">What tokenizing the text lost (see <see cref="Data.TokenizedText.Warning"/>), or null.</param>
    /// <exception cref="ArgumentException">The sizes do not fit together, or the mask is not 0/1 with a kept first token.</exception>
    public ViltInput(int[] ids, float[] pixels, int height, int width, int[]? attentionMask = null, string? warning = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(pixels);
        if (ids.Length == 0) throw new ArgumentException("token sequence is empty", nameof(ids));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (pixels.LongLength != 3L * height * width)
            throw new ArgumentException($"image tensor has {pixels.Length} values, expected 3×{height}×{width}", nameof(pixels));
        if (attentionMask != null)
        {
            if (attentionMask.Length != ids.Length)
                throw new ArgumentException($"attention mask has {attentionMask.Length} values for {ids.Length} tokens", nameof(attentionMask));
            if (attentionMask.Any(m => m is not (0 or 1)))
                throw new ArgumentException("attention mask values must be 0 (padding) or 1 (token)", nameof(attentionMask));
            if (attentionMask[0] == 0)
                throw new ArgumentException("attention mask drops the first token ([CLS]), which is pooled", nameof(attentionMask));
        }
        (Ids, Pixels, Height, Width, AttentionMask, Warning) = (ids, pixels, height, width, attentionMask, warning);
    }

    /// <summary>Token ids, [CLS] first.</summary>
    public int[] Ids { get; }

    /// <summary>Preprocessed image [3, <see cref="Height"/>, <see cref="Width"/>].</summary>
    public float[] Pixels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>1 for each token that runs, 0 for padding; null when all run.</summary>
    public int[]? AttentionMask { get; }

    /// <summary>What tokenizing the text lost, or null.</summary>
    public string? Warning { get; }

    /// <summary>Tokens that run: those the mask keeps.</summary>
    public int TextTokens => AttentionMask?.Count(m => m == 1) ?? Ids.Length;
}
