using Sieve.Data;
using Sieve.Reduction;
using Sieve.Nn;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// A timm Vision Transformer classifier (<c>vit_*_patch*_*</c>): patch embedding, class token, learned
/// position embeddings, pre-norm blocks, final LayerNorm and a linear head on the class token.
/// </summary>
public sealed class VitModel : IImageEncoder, IReadoutTower
{
    readonly PatchEmbedding _patchEmbed;
    readonly float[] _classToken, _positions;
    readonly Encoder _encoder;
    readonly Nn.LayerNorm _norm;
    readonly Linear _head;
    TokenReducer? _reducer; // set only on the copies WithReduction makes

    /// <summary>The model's shape, labels and preprocessing.</summary>
    public VitConfig Config { get; }

    /// <inheritdoc />
    public int EmbeddingSize => Config.Width;

    VitModel(VitConfig config, CheckpointReader weights)
    {
        Config = config;
        int d = config.Width;
        _patchEmbed = weights.PatchEmbedding(VitLayout.PatchEmbedding, d, 3, config.PatchSize, bias: true);
        _classToken = weights.Tensor(VitLayout.ClassToken, 1, 1, d);
        _positions = weights.Tensor(VitLayout.Positions, 1, config.Tokens, d);
        VitLayout.CheckDepth(weights, config.Depth);
        _encoder = new Encoder(Enumerable.Range(0, config.Depth)
            .Select(i => weights.Block(VitLayout.Block(i), i, d, config.Heads, config.MlpHidden, config.LayerNormEps, Activation.Gelu))
            .ToArray());
        Readout = weights.Readout(VitLayout.Norm, config.LayerNormEps, VitLayout.Head, d, config.NumClasses, bias: true);
        _norm = Readout.Norm();
        _head = Readout.Projection();
        Preprocessor = new ImagePreprocessor(config.Preprocess);
    }

    /// <summary>Loads <c>config.json</c> and <c>model.safetensors</c> (or its shards) from a timm model folder.</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="precision">The blocks' linear layers: float32, or int8 quantized at load.</param>
    public static VitModel Load(string directory, Precision precision = Precision.Float32)
    {
        var config = VitConfig.FromTimm(JsonConfig.Load(Path.Combine(directory, "config.json")));
        using var file = CheckpointFiles.Open(directory);
        return new VitModel(config, new CheckpointReader(file) { Precision = precision });
    }

    /// <summary>The model with <paramref name="weights"/> (e.g. <see cref="CheckpointReader.Random"/>).</summary>
    internal static VitModel Create(VitConfig config, CheckpointReader weights) => new(config, weights);

    /// <inheritdoc />
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>The final norm and class head, unpacked (for guidance fitting).</summary>
    internal TokenReadout Readout { get; }

    TokenReadout IReadoutTower.Readout => Readout;

    /// <summary>The model's input tensor [3, S, S] for an image.</summary>
    public float[] Preprocess(RgbImage image) => Preprocessor.Process(image);

    /// <inheritdoc />
    public TowerInfo Info => new("vision", Modality.Image, Config.Depth, Config.Width, Config.Heads);

    /// <inheritdoc />
    public int PatchSize => Config.PatchSize;

    /// <inheritdoc />
    public int ImageSize => Config.ImageSize;

    /// <inheritdoc />
    int ITower.TextTokens => 0;

    /// <inheritdoc />
    ITower IImageEncoder.ImageTower => this;

    /// <inheritdoc />
    public IReadOnlyList<ITower> Towers => [this];

    /// <summary>
    /// This model with <paramref name="reduction"/>'s reducer bound to its tower: every forward of the returned
    /// model runs it (the weights are shared, not copied).
    /// </summary>
    /// <param name="reduction">The reducer spec; a text-only spec leaves the ViT dense.</param>
    /// <param name="guidance">Fitted guidance for this model, or null.</param>
    public VitModel WithReduction(ModelReduction reduction, ReductionGuidance? guidance = null)
    {
        var reduced = (VitModel)MemberwiseClone();
        reduced._reducer = TowerHooks.Bind(this, reduction, guidance);
        return reduced;
    }

    IModel IModel.WithReduction(ModelReduction reduction, ReductionGuidance? guidance) => WithReduction(reduction, guidance);

    /// <summary>Final-normed class token (the head's input) for a preprocessed image.</summary>
    /// <param name="pixels">Preprocessed image [3, S, S].</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    public float[] Features(ReadOnlySpan<float> pixels, BlockHook? hook = null)
    {
        hook = TowerHooks.With(_reducer, hook, Info);
        int d = Config.Width;
        using var tokens = ImageTokens.Embed(pixels, Config.ImageSize, _patchEmbed, _classToken, _positions);
        hook?.Outside(_patchEmbed.MacsFor(Config.Tokens - 1));
        _encoder.Forward(tokens, causal: false, hook);
        var cls = new float[d];
        _norm.Forward(tokens.Row(0), cls, 1);
        return cls;
    }

    /// <summary>Class logits for a preprocessed image.</summary>
    /// <param name="pixels">Preprocessed image [3, S, S].</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    public float[] Logits(ReadOnlySpan<float> pixels, BlockHook? hook = null)
    {
        var logits = new float[Config.NumClasses];
        _head.Forward(Features(pixels, hook), 1, logits);
        hook?.Outside(_head.MacsFor(1)); // counted here: Features alone does not run the head
        return logits;
    }

    /// <inheritdoc />
    public float[] Forward(TowerInput input, BlockHook? hook = null) => Logits(ImageTokens.Pixels(input, Info, Config.ImageSize), hook);

    /// <inheritdoc />
    public long DenseMacs(TowerInput input) => Macs;

    /// <inheritdoc />
    public TowerInput Example(int index, int? textTokens = null) => TowerInput.Image(ImageTokens.ExamplePixels(index, Config.ImageSize), Config.ImageSize);

    /// <summary>The <paramref name="top"/> most probable classes of an image.</summary>
    /// <param name="image">The image.</param>
    /// <param name="top">How many classes.</param>
    public Prediction[] Classify(RgbImage image, int top = 5) =>
        Prediction.TopK(Logits(Preprocess(image)), Config.Labels, top);

    /// <inheritdoc />
    public float[] EncodeImage(RgbImage image) => Features(Preprocess(image));

    /// <inheritdoc />
    public float[] EncodeImage(TowerInput image, BlockHook? hook = null) => Features(ImageTokens.Pixels(image, Info, Config.ImageSize), hook);

    /// <summary>Multiply-adds of one dense forward (GMACs × 1e9), as fvcore counts them.</summary>
    public long Macs => _patchEmbed.MacsFor(Config.Tokens - 1) + _encoder.MacsFor(Config.Tokens) + _head.MacsFor(1);
}
