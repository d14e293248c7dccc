using Sieve.Nn;

namespace Sieve.Reduction;

/// <summary>
/// Watches a vision tower's last block for <see cref="VisionZipSpec"/>: the class token's attention to every patch token
/// (mean over heads) and each patch token's key (mean over heads), in patch order. An observer: it changes nothing.
/// </summary>
internal sealed class VisionZipProbe(int lastLayer) : BlockHook
{
    /// <summary>The class token's attention to each patch token.</summary>
    public float[] ClassAttention { get; private set; } = [];

    /// <summary>Each patch token's key, [patches, head width].</summary>
    public float[] Keys { get; private set; } = [];

    /// <summary>Width of a key row of <see cref="Keys"/>.</summary>
    public int KeyWidth { get; private set; }

    /// <inheritdoc />
    public override bool NeedsProbabilities(int layer) => layer == lastLayer;

    /// <inheritdoc />
    public override long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention)
    {
        if (layer != lastLayer) return 0;
        int n = tokens.Count, heads = attention.Heads, dh = attention.Width / heads, cls = tokens.ClassToken(Modality.Image);
        var probabilities = attention.Probabilities;
        var patches = Enumerable.Range(0, n).Where(j => j != cls).ToArray();
        ClassAttention = new float[patches.Length];
        Keys = new float[patches.Length * dh];
        KeyWidth = dh;
        for (int p = 0; p < patches.Length; p++)
        {
            var key = attention.Key(patches[p]);
            for (int h = 0; h < heads; h++)
            {
                ClassAttention[p] += probabilities[(h * n + cls) * n + patches[p]] / heads;
                for (int c = 0; c < dh; c++) Keys[p * dh + c] += key[h * dh + c] / heads;
            }
        }
        return 0;
    }
}
