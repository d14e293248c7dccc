using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>
/// LLaVA's CLIP vision tower up to the layer it reads (<c>vision_feature_layer</c>, −2 in LLaVA-1.5: the penultimate
/// layer's output, no post-norm), and the features it hands the projector: the patch tokens (<c>"default"</c>: the class
/// token dropped) or every token (<c>"full"</c>). A bound reducer (ToMe, CrossGET) merges tokens inside the tower, so fewer
/// reach the projector, each with the size it stands for.
/// </summary>
public sealed class LlavaVisionTower : ITower
{
    readonly PatchEmbedding _patchEmbed;
    readonly float[] _classEmbedding, _positions;
    readonly Nn.LayerNorm _preNorm;
    readonly Encoder _encoder;
    readonly bool _keepClassToken;
    TokenReducer? _reducer; // set only on the copies WithReducer makes

    internal LlavaVisionTower(LlavaConfig config, CheckpointReader w, LlavaLayout layout)
    {
        var c = config.Vision;
        int d = c.Width, tokens = config.Grid * config.Grid + 1;
        string Name(string clipName) => layout.VisionTensor(clipName);
        // Only the layers whose output is read are loaded and run; the rest of the tower does not affect the features.
        _encoder = new Encoder(Enumerable.Range(0, config.FeatureLayers)
            .Select(i => w.Block(BlockNames.HuggingFace(Name($"vision_model.encoder.layers.{i}")), i, d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation)).ToArray());
        _patchEmbed = w.PatchEmbedding(Name(ClipLayout.Vision.PatchEmbedding), d, 3, config.PatchSize, bias: false);
        _classEmbedding = w.Tensor(Name(ClipLayout.Vision.ClassEmbedding), d);
        _positions = w.Tensor(Name(ClipLayout.Vision.Positions), tokens, d);
        _preNorm = w.LayerNorm(Name(ClipLayout.Vision.PreNorm), d, c.LayerNormEps);
        (ImageSize, _keepClassToken) = (config.ImageSize, config.KeepClassToken);
        Info = new TowerInfo("vision", Modality.Image, config.FeatureLayers, d, c.Heads);
    }

    /// <inheritdoc />
    public TowerInfo Info { get; }

    /// <inheritdoc />
    public int PatchSize => _patchEmbed.PatchSize;

    /// <inheritdoc />
    public int ImageSize { get; }

    /// <inheritdoc />
    int ITower.TextTokens => 0;

    /// <summary>Tokens in the tower's sequence: patches plus the class token.</summary>
    public int Tokens => (ImageSize / PatchSize) * (ImageSize / PatchSize) + 1;

    /// <summary>This tower with <paramref name="reducer"/> bound (weights shared).</summary>
    internal LlavaVisionTower WithReducer(TokenReducer? reducer)
    {
        TowerCheck.Hook(reducer, Info);
        var bound = (LlavaVisionTower)MemberwiseClone();
        bound._reducer = reducer;
        return bound;
    }

    /// <summary>The selected features of a preprocessed [3, S, S] image, [tokens, vision width], with their sizes once merged.</summary>
    internal TokenContext Features(ReadOnlySpan<float> pixels, BlockHook? hook = null)
    {
        hook = TowerHooks.With(_reducer, hook, Info);
        using var tokens = ImageTokens.Embed(pixels, ImageSize, _patchEmbed, _classEmbedding, _positions);
        _preNorm.Forward(tokens.Features, tokens.Features, Tokens);
        hook?.Outside(_patchEmbed.MacsFor(Tokens - 1));
        _encoder.Forward(tokens, causal: false, hook);
        var all = TokenContext.Of(tokens);
        return _keepClassToken ? all : all.Without(tokens.ClassToken(Modality.Image));
    }

    /// <inheritdoc />
    public float[] Forward(TowerInput input, BlockHook? hook = null) => Features(ImageTokens.Pixels(input, Info, ImageSize), hook).Features;

    /// <inheritdoc />
    public long DenseMacs(TowerInput input) => _patchEmbed.MacsFor(Tokens - 1) + _encoder.MacsFor(Tokens);

    /// <inheritdoc />
    public TowerInput Example(int index, int? textTokens = null) => TowerInput.Image(ImageTokens.ExamplePixels(index, ImageSize), ImageSize);
}
