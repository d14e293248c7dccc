using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Tests.Reduction;

/// <summary>Wraps a reducer and records the modality of every token after each block's reduction.</summary>
sealed class ModalityRecorder(TokenReducer inner, List<Modality[]> steps) : TokenReducer(inner.Tower, inner.ProportionalAttention)
{
    public override bool NeedsProbabilities(int layer) => inner.NeedsProbabilities(layer);
    public override bool NeedsHeadOutputs => inner.NeedsHeadOutputs;
    public override void Begin(TokenSet tokens) => inner.Begin(tokens);
    public override void BeforeBlock(int layer, TokenSet tokens) => inner.BeforeBlock(layer, tokens);

    public override long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention)
    {
        long macs = inner.AfterAttention(layer, tokens, attention);
        steps.Add(tokens.Modalities.ToArray());
        return macs;
    }

    /// <summary>(image, text) token counts of one recorded step.</summary>
    public static (int Images, int Texts) Count(Modality[] step) => (step.Count(m => m == Modality.Image), step.Count(m => m == Modality.Text));
}
