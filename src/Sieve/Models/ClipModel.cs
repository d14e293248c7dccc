using Sieve.Data;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// A Hugging Face <c>CLIPModel</c>: image and text towers into one joint space, with the tokenizer
/// (<c>vocab.json</c> + <c>merges.txt</c>) and image preprocessing (<c>preprocessor_config.json</c>,
/// or CLIP's defaults) from the same folder.
/// </summary>
public sealed class ClipModel : IDualEncoder
{
    readonly ClipTokenizer? _tokenizer;
    readonly string _directory;

    /// <summary>The model's shape.</summary>
    public ClipConfig Config { get; }

    /// <summary>The image tower.</summary>
    public VisionTower Vision { get; private set; }

    /// <summary>The text tower.</summary>
    public ClipTextTower Text { get; private set; }

    /// <summary>exp(<c>logit_scale</c>): the temperature that turns cosine similarities into logits.</summary>
    public float LogitScale { get; }

    /// <inheritdoc />
    public int EmbeddingSize => Config.ProjectionDim;

    ClipModel(string directory, ClipConfig config, CheckpointReader weights, ClipTokenizer? tokenizer, PreprocessOptions preprocess)
    {
        _directory = directory;
        Config = config;
        // Text first: where its token table cannot stay mapped (a PyTorch or F16/BF16 checkpoint), an int8 load quantizes it
        // from a transient float copy, best held while little else is.
        Text = new ClipTextTower(config, weights);
        Vision = LoadVision(config, weights);
        LogitScale = MathF.Exp(weights.Tensor(ClipLayout.LogitScale)[0]);
        _tokenizer = tokenizer;
        Preprocessor = new ImagePreprocessor(preprocess);
    }

    /// <summary>Loads a Hugging Face CLIP folder. The tokenizer files are optional until text is encoded.</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="precision">The blocks' linear layers: float32, or int8 quantized at load.</param>
    public static ClipModel Load(string directory, Precision precision = Precision.Float32)
    {
        var config = ClipConfig.FromHuggingFace(JsonConfig.Load(Path.Combine(directory, "config.json")));
        var tokenizer = InputFile.IsPresent(Path.Combine(directory, "vocab.json")) || InputFile.IsPresent(Path.Combine(directory, "merges.txt"))
            ? ClipTokenizer.FromDirectory(directory, config.MaxPositions)
            : null;
        var preprocess = PreprocessOptions.ForClip(directory, config.ImageSize);
        if (preprocess.CropWidth != config.ImageSize || preprocess.CropHeight != config.ImageSize)
            throw new SieveFormatException($"{directory}: preprocessor_config.json crops {preprocess.CropWidth}×{preprocess.CropHeight}, but the model takes {config.ImageSize}×{config.ImageSize} images");
        using var file = CheckpointFiles.Open(directory);
        return new ClipModel(directory, config, new CheckpointReader(file) { Precision = precision }, tokenizer, preprocess);
    }

    /// <summary>
    /// A model of the given shape with seeded random weights and no tokenizer: for timing and memory
    /// measurements, which do not depend on the weight values.
    /// </summary>
    public static ClipModel CreateRandom(ClipConfig config, int seed = 0, Precision precision = Precision.Float32) =>
        Create(config, CheckpointReader.Random(seed, precision: precision));

    /// <summary>The model with <paramref name="weights"/> (e.g. <see cref="CheckpointReader.Random"/>), no tokenizer, CLIP's preprocessing.</summary>
    internal static ClipModel Create(ClipConfig config, CheckpointReader weights) =>
        new("(randomly initialised model)", config, weights, null, PreprocessOptions.ClipDefaultsAt(config.ImageSize));

    /// <summary>
    /// CLIP's image tower in the shared <see cref="VisionTower"/> shape: patch embedding without bias, <c>pre_layrnorm</c>,
    /// and <c>post_layernorm</c> on the class token before <c>visual_projection</c>.
    /// </summary>
    static VisionTower LoadVision(ClipConfig config, CheckpointReader w)
    {
        var c = config.Vision;
        int d = c.Width, tokens = config.Grid * config.Grid + 1;
        var encoder = new Encoder(Enumerable.Range(0, c.Layers)
            .Select(i => w.Block(ClipLayout.Vision.Block(i), i, d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation)).ToArray());
        return new VisionTower(new TowerInfo("vision", Modality.Image, c.Layers, d, c.Heads), config.ImageSize,
            w.PatchEmbedding(ClipLayout.Vision.PatchEmbedding, d, 3, config.PatchSize, bias: false),
            w.Tensor(ClipLayout.Vision.ClassEmbedding, d), w.Tensor(ClipLayout.Vision.Positions, tokens, d),
            w.LayerNorm(ClipLayout.Vision.PreNorm, d, c.LayerNormEps), encoder,
            w.Readout(ClipLayout.Vision.PostNorm, c.LayerNormEps, ClipLayout.Vision.Projection, d, config.ProjectionDim, bias: false), normEveryToken: false);
    }

    /// <summary>The tokenizer; throws a clear error when the folder has none.</summary>
    internal ClipTokenizer Tokenizer => _tokenizer ?? throw new SieveFormatException(
        $"{_directory}: no tokenizer; text needs vocab.json and merges.txt beside the model");

    /// <inheritdoc />
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>The model's input tensor [3, S, S] for an image.</summary>
    public float[] Preprocess(RgbImage image) => Preprocessor.Process(image);

    /// <inheritdoc />
    ITower IImageEncoder.ImageTower => Vision;

    /// <inheritdoc />
    ITower ITextModel.TextTower => Text;

    /// <inheritdoc />
    public TokenizedText Tokenize(string text) => Tokenizer.Tokenize(text);

    /// <inheritdoc />
    public IReadOnlyList<ITower> Towers => [Vision, Text];

    /// <summary>
    /// This model with <paramref name="reduction"/>'s reducers bound: its vision spec to the image tower, its text
    /// spec to the text tower. Every forward of the returned model runs them (the weights are shared, not copied).
    /// </summary>
    /// <param name="reduction">The reducers per tower.</param>
    /// <param name="guidance">Fitted guidance for this model, or null.</param>
    public ClipModel WithReduction(ModelReduction reduction, ReductionGuidance? guidance = null)
    {
        var reduced = (ClipModel)MemberwiseClone();
        reduced.Vision = Vision.WithReducer(TowerHooks.Bind(Vision, reduction, guidance));
        reduced.Text = Text.WithReducer(TowerHooks.Bind(Text, reduction, guidance));
        return reduced;
    }

    IModel IModel.WithReduction(ModelReduction reduction, ReductionGuidance? guidance) => WithReduction(reduction, guidance);

    /// <summary>Projected image embedding (not normalised).</summary>
    public float[] EncodeImage(RgbImage image) => Vision.Encode(Preprocess(image));

    /// <inheritdoc />
    public float[] EncodeImage(TowerInput image, BlockHook? hook = null) => Vision.Forward(image, hook);

    /// <summary>Projected text embedding (not normalised).</summary>
    public float[] EncodeText(string text) => Text.Encode(Tokenizer.Encode(text));

    /// <summary>A zero-shot classifier over <paramref name="labels"/>, each embedded through every template.</summary>
    /// <param name="labels">Class names.</param>
    /// <param name="templates">Prompt templates with "{}" (default: CLIP's 7-prompt ensemble).</param>
    public ZeroShotClassifier ZeroShot(IReadOnlyList<string> labels, IReadOnlyList<string>? templates = null) =>
        new(this, labels, templates ?? ZeroShotClassifier.DefaultTemplates);
}
