using Sieve.Data;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// A Hugging Face <c>BlipForImageTextRetrieval</c>: BLIP's vision tower and its BERT text encoder with cross-attention to
/// the image, the contrastive projections and the image–text matching head. Tokenizer (<c>vocab.txt</c> and the added
/// [DEC] and [ENC] of <c>tokenizer.json</c>) and preprocessing (<c>preprocessor_config.json</c>) come from the same folder.
/// </summary>
/// <remarks>
/// As <c>transformers</c> does, the matching forward feeds the text exactly as tokenized, [CLS] first (BLIP's original
/// code replaces it with [ENC] there; <c>transformers</c> does not, and Sieve follows <c>transformers</c>).
/// </remarks>
public sealed class BlipModel : IPairMatcher
{
    readonly WordPieceTokenizer? _tokenizer;
    readonly string _directory;

    /// <summary>The model's shape.</summary>
    public BlipConfig Config { get; }

    /// <summary>The vision tower.</summary>
    public VisionTower Vision { get; private set; }

    /// <summary>The text encoder.</summary>
    public BlipTextTower Text { get; private set; }

    /// <inheritdoc />
    public int EmbeddingSize => Config.ImageTextWidth;

    BlipModel(string directory, BlipConfig config, CheckpointReader weights, WordPieceTokenizer? tokenizer, PreprocessOptions preprocess)
    {
        _directory = directory;
        Config = config;
        Vision = LoadVision(config, weights,
            weights.Readout(BlipLayout.Vision.PostNorm, config.Vision.LayerNormEps, BlipLayout.Vision.Projection, config.Vision.Width, config.ImageTextWidth, bias: true));
        Text = new BlipTextTower(config, weights);
        _tokenizer = tokenizer;
        Preprocessor = new ImagePreprocessor(preprocess);
    }

    /// <summary>
    /// Loads a Hugging Face BLIP retrieval folder: <c>config.json</c>, <c>model.safetensors</c> (or shards) and, when
    /// present, <c>vocab.txt</c> (+ <c>tokenizer_config.json</c>'s <c>do_lower_case</c>, the added tokens) and
    /// <c>preprocessor_config.json</c>. The tokenizer is optional until text is encoded.
    /// </summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="precision">The blocks' linear layers and cross-attention: float32, or int8 quantized at load.</param>
    /// <exception cref="SieveFormatException">A file is missing or malformed, or a tensor is missing or has the wrong shape (named).</exception>
    public static BlipModel Load(string directory, Precision precision = Precision.Float32)
    {
        if (!Directory.Exists(directory)) throw new SieveFormatException($"model folder '{directory}' does not exist");
        var config = BlipConfig.FromHuggingFace(JsonConfig.Load(Path.Combine(directory, "config.json")));
        var tokenizer = LoadTokenizer(directory, config);
        var preprocess = PreprocessOptions.ForBlip(directory, config.ImageSize);
        using var file = CheckpointFiles.Open(directory);
        if (!file.Contains(BlipLayout.Vision.Projection + ".weight") && file.Contains(BlipLayout.Decoder.Words))
            throw new SieveFormatException($"{directory}: a BLIP captioning or VQA checkpoint (text decoder, no vision_proj, text_proj or itm_head): it cannot match or embed; load it as a BlipGenerator (`sieve caption`, `sieve vqa`)");
        return new BlipModel(directory, config, new CheckpointReader(file) { Precision = precision }, tokenizer, preprocess);
    }

    /// <summary>The folder's BERT tokenizer (<c>vocab.txt</c>, <c>tokenizer_config.json</c>'s <c>do_lower_case</c>, the added tokens), or null without <c>vocab.txt</c>.</summary>
    internal static WordPieceTokenizer? LoadTokenizer(string directory, BlipConfig config)
    {
        string tokenizerConfig = Path.Combine(directory, "tokenizer_config.json");
        bool lowerCase = !InputFile.IsPresent(tokenizerConfig) || JsonConfig.Load(tokenizerConfig).Bool("do_lower_case", true);
        return InputFile.IsPresent(Path.Combine(directory, WordPieceTokenizer.VocabFile))
            ? WordPieceTokenizer.FromDirectory(directory, config.MaxPositions, lowerCase)
            : null;
    }

    /// <summary>A model of the given shape with seeded random weights and no tokenizer: for timing and memory measurements.</summary>
    /// <param name="config">The shape.</param>
    /// <param name="seed">Seed of the weights.</param>
    /// <param name="precision">The blocks' linear layers: float32, or int8 quantized at creation.</param>
    public static BlipModel CreateRandom(BlipConfig config, int seed = 0, Precision precision = Precision.Float32) =>
        Create(config, CheckpointReader.Random(seed, precision: precision));

    /// <summary>The model with <paramref name="weights"/>, no tokenizer, BLIP's default preprocessing.</summary>
    internal static BlipModel Create(BlipConfig config, CheckpointReader weights) =>
        new("(randomly initialised model)", config, weights, null, PreprocessOptions.BlipDefaultsAt(config.ImageSize));

    /// <summary>
    /// BLIP's image tower in the shared <see cref="VisionTower"/> shape: patch embedding with bias, no pre-norm, and
    /// <c>post_layernorm</c> on every token (the image tokens the text encoder or decoder cross-attends to), then
    /// <paramref name="readout"/> (<c>post_layernorm</c> and <c>vision_proj</c>).
    /// </summary>
    internal static VisionTower LoadVision(BlipConfig config, CheckpointReader w, TokenReadout readout)
    {
        var c = config.Vision;
        int d = c.Width, tokens = config.Grid * config.Grid + 1;
        if (w.Has(BlipLayout.Vision.Block(c.Layers).Norm1 + ".weight"))
            throw new SieveFormatException($"the checkpoint has more than the {c.Layers} vision layers its config.json describes");
        var encoder = new Encoder(Enumerable.Range(0, c.Layers)
            .Select(i => w.Block(BlipLayout.Vision.Block(i), i, d, c.Heads, c.MlpHidden, c.LayerNormEps, c.Activation)).ToArray());
        return new VisionTower(new TowerInfo("vision", Modality.Image, c.Layers, d, c.Heads), config.ImageSize,
            w.PatchEmbedding(BlipLayout.Vision.PatchEmbedding, d, 3, config.PatchSize, bias: true),
            w.Tensor(BlipLayout.Vision.ClassEmbedding, 1, 1, d), w.Tensor(BlipLayout.Vision.Positions, 1, tokens, d),
            preNorm: null, encoder, readout, normEveryToken: true);
    }

    /// <summary>The tokenizer; throws a clear error when the folder has none.</summary>
    internal WordPieceTokenizer Tokenizer => _tokenizer ?? throw new SieveFormatException(
        $"{_directory}: no {WordPieceTokenizer.VocabFile}; text needs the BERT WordPiece vocabulary beside the model");

    /// <inheritdoc />
    public ImagePreprocessor Preprocessor { get; }

    /// <inheritdoc />
    ITower IImageEncoder.ImageTower => Vision;

    /// <inheritdoc />
    ITower ITextModel.TextTower => Text;

    /// <inheritdoc />
    public IReadOnlyList<ITower> Towers => [Vision, Text];

    /// <summary>
    /// [CLS], the word pieces of <paramref name="text"/>, [SEP]. BLIP's processor does not truncate, so a text longer
    /// than the model's positions is refused rather than cut.
    /// </summary>
    /// <exception cref="ArgumentException">The text has more tokens than <c>max_position_embeddings</c>.</exception>
    public TokenizedText Tokenize(string text)
    {
        var tokens = Tokenizer.Encode(text);
        if (tokens.DroppedTokens > 0)
            throw new ArgumentException($"the text has {tokens.Ids.Length + tokens.DroppedTokens} tokens, more than the model's {Config.MaxPositions} (max_position_embeddings)", nameof(text));
        return tokens;
    }

    /// <summary>This model with <paramref name="reduction"/>'s vision spec bound to the vision tower and its text spec to the text encoder (weights shared).</summary>
    /// <param name="reduction">The reducers per tower.</param>
    /// <param name="guidance">Fitted guidance for this model, or null.</param>
    public BlipModel WithReduction(ModelReduction reduction, ReductionGuidance? guidance = null)
    {
        var reduced = (BlipModel)MemberwiseClone();
        reduced.Vision = Vision.WithReducer(TowerHooks.Bind(Vision, reduction, guidance));
        reduced.Text = Text.WithReducer(TowerHooks.Bind(Text, reduction, guidance));
        return reduced;
    }

    IModel IModel.WithReduction(ModelReduction reduction, ReductionGuidance? guidance) => WithReduction(reduction, guidance);

    /// <summary>The contrastive image embedding (projected, not normalised).</summary>
    public float[] EncodeImage(RgbImage image) => Vision.Encode(Preprocessor.Process(image));

    /// <inheritdoc />
    public float[] EncodeImage(TowerInput image, BlockHook? hook = null) => Vision.Forward(image, hook);

    /// <summary>The contrastive text embedding (projected, not normalised).</summary>
    /// <exception cref="ArgumentException">The text is longer than the model's positions.</exception>
    public float[] EncodeText(string text) => Text.Encode(Tokenize(text).Ids);

    /// <summary>Both scores of <paramref name="text"/> for <paramref name="image"/>.</summary>
    public BlipMatch Match(RgbImage image, string text) => Match(Preprocessor.Process(image), Tokenize(text).Ids);

    /// <summary>Both scores of a tokenized text for a preprocessed image (see <see cref="Match(float[], IReadOnlyList{int[]}, BlockHook)"/>).</summary>
    public BlipMatch Match(float[] pixels, int[] ids) => Match(pixels, [ids])[0];

    /// <summary>
    /// Both scores of each tokenized text for one preprocessed image: the image is encoded once (with the bound vision
    /// reducer); each text alone for the contrastive score, and cross-attending to the image tokens for the matching one.
    /// </summary>
    /// <param name="pixels">Preprocessed image [3, S, S] (<see cref="Preprocessor"/>).</param>
    /// <param name="texts">Token ids of each text, [CLS] … [SEP] (<see cref="Tokenize"/>).</param>
    /// <param name="hook">Observes every forward's blocks (the image first), or null.</param>
    /// <exception cref="ArgumentException">The image is not S × S, or ids do not fit the text encoder.</exception>
    public BlipMatch[] Match(float[] pixels, IReadOnlyList<int[]> texts, BlockHook? hook = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var (image, tokens) = Vision.EncodeWithTokens(ImageTokens.Pixels(TowerInput.Image(pixels, Config.ImageSize), Vision.Info, Config.ImageSize), hook);
        var unitImage = ZeroShotClassifier.Normalized(image);
        return texts.Select(ids =>
        {
            var text = ZeroShotClassifier.Normalized(Text.Encode(ids, hook));
            var logits = Text.MatchLogits(ids, tokens, hook);
            // softmax(logits)[1] = σ(l₁ − l₀).
            return new BlipMatch(1 / (1 + MathF.Exp(logits[0] - logits[1])), System.Numerics.Tensors.TensorPrimitives.Dot(unitImage, text));
        }).ToArray();
    }

    float[] IPairMatcher.MatchLogits(TowerInput image, IReadOnlyList<TowerInput> texts, BlockHook? hook)
    {
        var (_, tokens) = Vision.EncodeWithTokens(ImageTokens.Pixels(image, Vision.Info, Config.ImageSize), hook);
        return texts.Select(text => Text.MatchLogits(text.RequireIds(Text.Info), tokens, hook)[1]).ToArray();
    }

    /// <summary>Multiply-adds of a dense <see cref="Match(float[], int[])"/> of <paramref name="textTokens"/> tokens.</summary>
    public long MatchMacs(int textTokens) => Vision.Macs + Text.MacsFor(textTokens) + Text.MatchMacsFor(textTokens, Vision.Tokens);
}
