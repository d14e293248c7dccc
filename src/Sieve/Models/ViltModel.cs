using System.Numerics.Tensors;
using Sieve.Data;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// A Hugging Face ViLT: one pre-norm transformer over [text ; image] (<see cref="ViltEmbeddings"/>), the
/// final <c>layernorm</c>, the pooler (dense + tanh on the text [CLS]) and whichever heads the checkpoint
/// has: <c>ViltForQuestionAnswering</c>'s VQA classifier and <c>ViltForImageAndTextRetrieval</c>'s
/// image–text matching score. Tokenizer (<c>vocab.txt</c>) and image preprocessing
/// (<c>preprocessor_config.json</c>) come from the same folder.
/// </summary>
/// <remarks>
/// Every pair runs as its own sequence, so padding is never computed: a masked token is left out and the
/// others keep their positions, which equals Hugging Face's masked attention exactly. A token reducer
/// (bound to <see cref="Info"/>) therefore never sees padding.
/// </remarks>
public sealed class ViltModel : IModel, ITower
{
    /// <summary>Epsilon of the VQA head's LayerNorm: <c>nn.LayerNorm</c>'s default, not the config's.</summary>
    internal const float HeadLayerNormEps = 1e-5f;

    readonly ViltEmbeddings _embeddings;
    readonly Encoder _encoder;
    readonly Nn.LayerNorm _norm;
    readonly Linear _pooler;
    readonly (Linear Up, Nn.LayerNorm Norm, Linear Out)? _vqa;
    readonly Linear? _rank;
    readonly WordPieceTokenizer? _tokenizer;
    readonly string _directory;
    TokenReducer? _reducer; // set only on the copies WithReduction makes

    /// <summary>The model's shape.</summary>
    public ViltConfig Config { get; }

    /// <summary>The image preprocessing.</summary>
    internal ViltImageProcessor Preprocessor { get; }

    /// <summary>Answer names of the VQA head by index (the index as text where the config names none); empty without the head.</summary>
    public IReadOnlyList<string> Answers { get; }

    /// <summary>Whether the checkpoint has the VQA classifier (<c>classifier.*</c>).</summary>
    public bool HasVqaHead => _vqa != null;

    /// <summary>Whether the checkpoint has the image–text matching score (<c>rank_output</c>).</summary>
    public bool HasMatchHead => _rank != null;

    ViltModel(string directory, ViltConfig config, CheckpointReader w, ViltLayout layout,
        WordPieceTokenizer? tokenizer, ViltImageProcessor preprocessor)
    {
        _directory = directory;
        Config = config;
        int d = config.Width, answers = layout.Answers;
        _embeddings = new ViltEmbeddings(config, w, layout);
        if (w.Has(layout.Block(config.Layers).Norm1 + ".weight"))
            throw new SieveFormatException($"{directory}: the checkpoint has more than the {config.Layers} layers its config.json describes");
        _encoder = new Encoder(Enumerable.Range(0, config.Layers)
            .Select(i => w.Block(layout.Block(i), i, d, config.Heads, config.MlpHidden, config.LayerNormEps, Activation.Gelu))
            .ToArray());
        _norm = w.LayerNorm(layout.Norm, d, config.LayerNormEps);
        _pooler = w.Linear(layout.Pooler, d, d);
        if (answers > 0)
            _vqa = (w.Linear(ViltLayout.VqaUp, d, 2 * d), w.LayerNorm(ViltLayout.VqaNorm, 2 * d, HeadLayerNormEps), w.Linear(ViltLayout.VqaOut, 2 * d, answers));
        if (layout.Match) _rank = w.Linear(ViltLayout.Rank, d, 1);
        Answers = answers == 0 ? []
            : config.Labels is { } labels && labels.Count == answers ? labels
            : Enumerable.Range(0, answers).Select(i => i.ToString()).ToArray();
        _tokenizer = tokenizer;
        Preprocessor = preprocessor;
    }

    /// <summary>
    /// Loads a Hugging Face ViLT folder: <c>config.json</c>, <c>model.safetensors</c> (or shards) with or without
    /// the <c>vilt.</c> prefix, and, when present, <c>vocab.txt</c> (+ <c>tokenizer_config.json</c>'s
    /// <c>do_lower_case</c>) and <c>preprocessor_config.json</c>. The VQA head's size is the config's
    /// <c>id2label</c> count (Hugging Face's <c>num_labels</c>).
    /// </summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="precision">The blocks' linear layers: float32, or int8 quantized at load.</param>
    /// <exception cref="SieveFormatException">A file is missing or malformed, or a tensor is missing or has the wrong shape (named).</exception>
    public static ViltModel Load(string directory, Precision precision = Precision.Float32)
    {
        if (!Directory.Exists(directory)) throw new SieveFormatException($"model folder '{directory}' does not exist");
        var config = ViltConfig.FromHuggingFace(JsonConfig.Load(Path.Combine(directory, "config.json")));
        string tokenizerConfig = Path.Combine(directory, "tokenizer_config.json");
        bool lowerCase = !InputFile.IsPresent(tokenizerConfig) || JsonConfig.Load(tokenizerConfig).Bool("do_lower_case", true);
        var tokenizer = InputFile.IsPresent(Path.Combine(directory, WordPieceTokenizer.VocabFile))
            ? WordPieceTokenizer.FromDirectory(directory, config.MaxPositions, lowerCase)
            : null;
        var preprocessor = ViltImageProcessor.FromDirectory(directory);
        using var file = CheckpointFiles.Open(directory);
        var weights = new CheckpointReader(file) { Precision = precision };
        return new ViltModel(directory, config, weights, ViltLayout.Detect(config, weights), tokenizer, preprocessor);
    }

    /// <summary>
    /// A model of the given shape with seeded random weights, both heads (<paramref name="answers"/> VQA
    /// answers) and no tokenizer: for timing and memory measurements, which do not depend on weight values.
    /// </summary>
    public static ViltModel CreateRandom(ViltConfig config, int seed = 0, int answers = ViltConfig.VqaV2Answers, Precision precision = Precision.Float32) =>
        Create(config, CheckpointReader.Random(seed, precision: precision), answers);

    /// <summary>The model with <paramref name="weights"/> under the <c>vilt.</c> prefix, both heads, no tokenizer, default preprocessing.</summary>
    internal static ViltModel Create(ViltConfig config, CheckpointReader weights, int answers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(answers);
        return new ViltModel("(randomly initialised model)", config, weights, ViltLayout.WithBothHeads(answers), null, ViltImageProcessor.Defaults);
    }

    /// <summary>The tokenizer; throws a clear error when the folder has none.</summary>
    internal WordPieceTokenizer Tokenizer => _tokenizer ?? throw new SieveFormatException(
        $"{_directory}: no {WordPieceTokenizer.VocabFile}; text needs the BERT WordPiece vocabulary beside the model");

    /// <inheritdoc />
    public TowerInfo Info => new("fusion", Modality.Multimodal, Config.Layers, Config.Width, Config.Heads);

    /// <inheritdoc />
    public int PatchSize => Config.PatchSize;

    /// <inheritdoc />
    public int ImageSize => Config.ImageSize;

    /// <inheritdoc />
    public int TextTokens => Config.MaxPositions;

    /// <inheritdoc />
    public IReadOnlyList<ITower> Towers => [this];

    /// <summary>
    /// This model with <paramref name="reduction"/>'s reducer bound to its fusion tower (one spec for the whole
    /// stream): every forward of the returned model runs it (the weights are shared, not copied).
    /// </summary>
    /// <param name="reduction">The reducer spec.</param>
    /// <param name="guidance">Fitted guidance for this model, or null.</param>
    public ViltModel WithReduction(ModelReduction reduction, ReductionGuidance? guidance = null)
    {
        var reduced = (ViltModel)MemberwiseClone();
        reduced._reducer = TowerHooks.Bind(this, reduction, guidance);
        return reduced;
    }

    IModel IModel.WithReduction(ModelReduction reduction, ReductionGuidance? guidance) => WithReduction(reduction, guidance);

    /// <summary>The output of the head the checkpoint has: VQA logits, else the matching score (one value), else the pooler output.</summary>
    public float[] Forward(TowerInput input, BlockHook? hook = null)
    {
        var pair = Pair(input);
        return HasVqaHead ? AnswerLogits(pair, hook) : HasMatchHead ? [MatchScore(pair, hook)] : Pooled(pair, hook);
    }

    /// <inheritdoc />
    public long DenseMacs(TowerInput input)
    {
        var pair = Pair(input);
        int rows = pair.Height / Config.PatchSize, columns = pair.Width / Config.PatchSize;
        return HasVqaHead ? AnswerMacs(pair.TextTokens, rows, columns) : MatchMacs(pair.TextTokens, rows, columns);
    }

    /// <summary>
    /// <paramref name="textTokens"/> tokens (default: all positions): [CLS], words spread over the vocabulary (past
    /// BERT's special and unused ids where it has them), [SEP]; and image <paramref name="index"/> of a deterministic
    /// series at <see cref="ImageSize"/> × <see cref="ImageSize"/>.
    /// </summary>
    public TowerInput Example(int index, int? textTokens = null)
    {
        int t = textTokens ?? Config.MaxPositions, v = Config.VocabSize, size = Config.ImageSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(t, 2);
        var ids = Enumerable.Range(0, t).Select(i => i == 0 ? 101 % v : i == t - 1 ? 102 % v : (1000 + i * 7919) % v).ToArray();
        return TowerInput.Pair(ids, ImageTokens.ExamplePixels(index, size), size, size);
    }

    /// <summary>A <see cref="TowerInput.Pair"/> as this model's input (its ids and image required).</summary>
    internal ViltInput Pair(TowerInput input) => new(input.RequireIds(Info), input.RequirePixels(Info), input.Height, input.Width);

    /// <summary>Tokenizes <paramref name="text"/> and preprocesses <paramref name="image"/>; <see cref="ViltInput.Warning"/> says if the text was cut.</summary>
    /// <exception cref="ArgumentException">The image is less than one patch along a side after resizing.</exception>
    public ViltInput Prepare(RgbImage image, string text)
    {
        var tokens = Tokenizer.Encode(text);
        var (pixels, height, width) = Preprocessor.Process(image);
        return new ViltInput(tokens.Ids, pixels, height, width, warning: tokens.Warning);
    }

    /// <summary>The pooler output: tanh(dense(final-normed text [CLS])), [D].</summary>
    /// <param name="input">The pair.</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    /// <exception cref="ArgumentException">Too many tokens, an id outside the vocabulary, or an image smaller than one patch.</exception>
    public float[] Pooled(ViltInput input, BlockHook? hook = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        hook = TowerHooks.With(_reducer, hook, Info);
        int d = Config.Width;
        using var tokens = _embeddings.Embed(input);
        int patches = tokens.Count - input.TextTokens - 1;
        hook?.Outside(_embeddings.MacsFor(patches) + _pooler.MacsFor(1));
        _encoder.Forward(tokens, causal: false, hook);
        var cls = new float[d];
        _norm.Forward(tokens.Row(tokens.Source[0]), cls, 1);
        var pooled = new float[d];
        _pooler.Forward(cls, 1, pooled);
        TensorPrimitives.Tanh(pooled, pooled);
        return pooled;
    }

    /// <summary>VQA logits, one per answer. ViLT's classifier is trained with binary cross-entropy against soft VQA scores, so each answer's probability is sigmoid(logit), independently of the others.</summary>
    /// <param name="input">The pair.</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    /// <exception cref="SieveFormatException">The checkpoint has no VQA head.</exception>
    public float[] AnswerLogits(ViltInput input, BlockHook? hook = null)
    {
        var (up, norm, output) = _vqa ?? throw MissingHead("VQA head (classifier.*, as ViltForQuestionAnswering has)");
        var pooled = Pooled(input, hook);
        var hidden = new float[up.Out];
        up.Forward(pooled, 1, hidden);
        norm.Forward(hidden, hidden, 1);
        Activations.Gelu(hidden);
        var logits = new float[output.Out];
        output.Forward(hidden, 1, logits);
        hook?.Outside(VqaHeadMacs);
        return logits;
    }

    /// <summary>The <paramref name="top"/> likeliest answers, each with its sigmoid probability (see <see cref="AnswerLogits"/>).</summary>
    /// <param name="input">The pair.</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    /// <param name="top">How many answers.</param>
    public Prediction[] Answer(ViltInput input, int top = 5, BlockHook? hook = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var probabilities = AnswerLogits(input, hook);
        TensorPrimitives.Sigmoid(probabilities, probabilities);
        return Prediction.Ranked(probabilities, Answers, top);
    }

    /// <summary>The <paramref name="top"/> likeliest answers to <paramref name="question"/> about <paramref name="image"/> (use <see cref="Prepare"/> to see a truncation warning).</summary>
    public Prediction[] Answer(RgbImage image, string question, int top = 5) => Answer(Prepare(image, question), top);

    /// <summary>The image–text matching logit (<c>rank_output</c>): higher means a better match; sigmoid gives ViLT's ITM probability.</summary>
    /// <param name="input">The pair.</param>
    /// <param name="hook">Null, or an observer (<c>ForwardTrace</c>), or a reducer when none is bound.</param>
    /// <exception cref="SieveFormatException">The checkpoint has no matching head.</exception>
    public float MatchScore(ViltInput input, BlockHook? hook = null)
    {
        var rank = _rank ?? throw MissingHead("image–text matching head (rank_output, as ViltForImageAndTextRetrieval has)");
        var pooled = Pooled(input, hook);
        var score = new float[1];
        rank.Forward(pooled, 1, score);
        hook?.Outside(rank.MacsFor(1));
        return score[0];
    }

    /// <summary>How well <paramref name="text"/> describes <paramref name="image"/> (use <see cref="Prepare"/> to see a truncation warning).</summary>
    public float MatchScore(RgbImage image, string text) => MatchScore(Prepare(image, text));

    /// <summary>Multiply-adds of a dense pooled forward of <paramref name="textTokens"/> tokens and a <paramref name="gridRows"/> × <paramref name="gridColumns"/> patch grid.</summary>
    public long PooledMacs(int textTokens, int gridRows, int gridColumns)
    {
        int patches = gridRows * gridColumns;
        return _embeddings.MacsFor(patches) + _encoder.MacsFor(textTokens + 1 + patches) + _pooler.MacsFor(1);
    }

    /// <summary><see cref="PooledMacs"/> plus the VQA head.</summary>
    public long AnswerMacs(int textTokens, int gridRows, int gridColumns) => PooledMacs(textTokens, gridRows, gridColumns) + VqaHeadMacs;

    /// <summary><see cref="PooledMacs"/> plus the matching head.</summary>
    public long MatchMacs(int textTokens, int gridRows, int gridColumns) => PooledMacs(textTokens, gridRows, gridColumns) + (_rank?.MacsFor(1) ?? 0);

    long VqaHeadMacs => _vqa is { } head ? head.Up.MacsFor(1) + head.Out.MacsFor(1) : 0;

    SieveFormatException MissingHead(string what)
    {
        string heads = (HasVqaHead, HasMatchHead) switch
        {
            (true, _) => "it has a VQA head",
            (_, true) => "it has an image–text matching head",
            _ => "it has no head (a bare ViltModel)",
        };
        return new SieveFormatException($"{_directory}: the checkpoint has no {what}; {heads}");
    }
}
