using Sieve.Nn;

namespace Sieve.Reduction;

/// <summary>
/// Watches a vision tower's last block for <see cref="VisionZipSpec"/>: the class token's attention to every patch token
/// (mean over heads) and each patch token's key (mean over heads), in token order. When a tower reducer merges tokens in
/// that block after its attention, each merged token gets the attention its members received, summed (the share of the
/// class token's attention the group holds), and the size-weighted mean of their keys. An observer: it changes nothing.
/// </summary>
internal sealed class VisionZipProbe(int lastLayer) : BlockHook
{
    float[] _attention = [], _keys = [], _sizes = [];
    int[] _source = [];
    int _class;

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
        int n = tokens.Count, heads = attention.Heads, dh = attention.Width / heads;
        _class = tokens.ClassToken(Modality.Image);
        var probabilities = attention.Probabilities;
        (_attention, _keys, _sizes, _source, KeyWidth) = (new float[n], new float[n * dh], tokens.Sizes.ToArray(), tokens.Source.ToArray(), dh);
        for (int j = 0; j < n; j++)
        {
            var key = attention.Key(j);
            for (int h = 0; h < heads; h++)
            {
                _attention[j] += probabilities[(h * n + _class) * n + j] / heads;
                for (int c = 0; c < dh; c++) _keys[j * dh + c] += key[h * dh + c] / heads;
            }
        }
        return 0;
    }

    /// <inheritdoc />
    public override void AfterBlock(int layer, TokenSet tokens, BlockCost cost)
    {
        if (layer != lastLayer) return;
        int dh = KeyWidth, cls = tokens.ClassToken(Modality.Image);
        var patches = Enumerable.Range(0, tokens.Count).Where(j => j != cls).ToArray();
        var row = new int[tokens.Count];
        for (int p = 0; p < patches.Length; p++) row[patches[p]] = p;
        ClassAttention = new float[patches.Length];
        Keys = new float[patches.Length * dh];
        if (tokens.Count == _attention.Length)
        {
            // Nothing merged in this block: the rows as the attention left them.
            for (int p = 0; p < patches.Length; p++)
            {
                ClassAttention[p] = _attention[patches[p]];
                _keys.AsSpan(patches[p] * dh, dh).CopyTo(Keys.AsSpan(p * dh, dh));
            }
            return;
        }
        // Where each token before the merge went: followed through any original token it stands for.
        var slot = new int[_attention.Length];
        Array.Fill(slot, -1);
        for (int o = 0; o < _source.Length; o++)
            if (_source[o] >= 0) slot[_source[o]] = tokens.Source[o];
        var weight = new double[patches.Length];
        var keys = new double[patches.Length * dh];
        for (int j = 0; j < slot.Length; j++)
        {
            if (j == _class || slot[j] < 0 || slot[j] == cls) continue;
            int p = row[slot[j]];
            ClassAttention[p] += _attention[j];
            weight[p] += _sizes[j];
            for (int c = 0; c < dh; c++) keys[p * dh + c] += _sizes[j] * _keys[j * dh + c];
        }
        for (int p = 0; p < patches.Length; p++)
            for (int c = 0; c < dh; c++) Keys[p * dh + c] = (float)(keys[p * dh + c] / weight[p]);
    }
}
