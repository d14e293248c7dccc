using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;

namespace Sieve.Tests.Reduction;

/// <summary>
/// A fusion model's single stream without its embeddings: randomly initialised blocks run over
/// [text ; image] tokens with random features, text class token first, image class token after the
/// text. Enough to exercise reducers on <see cref="Modality.Multimodal"/> sets.
/// </summary>
sealed class FusionStream(int layers, int width, int heads, int seed = 3)
{
    readonly Encoder _encoder = new(Enumerable.Range(0, layers)
        .Select(i => CheckpointReader.Random(seed + i).Block(BlockNames.Timm(i), i, width, heads, 2 * width, 1e-6f, Activation.Gelu))
        .ToArray());

    public TowerInfo Info => new("fusion", Modality.Multimodal, layers, width, heads);

    /// <summary>Runs the stream; returns the text class token's final features, the modalities after each block, and the final set (dispose it).</summary>
    public (float[] Pooled, List<Modality[]> Steps, TokenSet Final) Run(int texts, int images, int inputSeed, TokenReducer? reducer, ForwardTrace? trace = null)
    {
        var modalities = Enumerable.Repeat(Modality.Text, texts).Concat(Enumerable.Repeat(Modality.Image, images)).ToArray();
        var tokens = new TokenSet(modalities, width, modalities.Length);
        Support.Rand.Normal(new Random(inputSeed), modalities.Length * width, 1f).CopyTo(tokens.Features);
        tokens.Protect(0);
        tokens.Protect(texts);
        tokens.Guide = 0;
        var steps = new List<Modality[]>();
        var recorder = reducer == null ? null : new ModalityRecorder(reducer, steps);
        _encoder.Forward(tokens, causal: false, BlockHook.Combine(recorder, trace));
        return (tokens.Row(0).ToArray(), steps, tokens);
    }
}
