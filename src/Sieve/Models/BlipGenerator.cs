using Sieve.Data;
using Sieve.Models.Generation;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// A Hugging Face <c>BlipForConditionalGeneration</c> (captions) or <c>BlipForQuestionAnswering</c> (answers): BLIP's
/// vision tower and its text decoder, which cross-attends to the image tokens — or, for VQA, to the question as the text
/// encoder read it with the image. Every decoding step reads the image tokens the vision tower left, so a vision reducer
/// pays on every generated token; merged tokens are attended in proportion to their sizes. Tokenizer and preprocessing
/// come from the same folder, as for <see cref="BlipModel"/>; decoding defaults from the checkpoint (<see cref="Generation"/>).
/// </summary>
public sealed class BlipGenerator : IModel
{
    readonly WordPieceTokenizer? _tokenizer;
    readonly string _directory;
    readonly BlipTextDecoder _decoder;
    BlipTextTower? _questionEncoder;

    /// <summary>The model's shape.</summary>
    public BlipConfig Config { get; }

    /// <summary>Which head the checkpoint carries: captions or answers.</summary>
    public BlipArchitecture Architecture { get; }

    /// <summary>The vision tower (its "embedding" is the normalised class token: these checkpoints have no <c>vision_proj</c>).</summary>
    public VisionTower Vision { get; private set; }

    /// <summary>The text encoder that reads the question with the image (<see cref="BlipArchitecture.QuestionAnswering"/> only), else null.</summary>
    public BlipTextTower? QuestionEncoder => _questionEncoder;

    /// <summary>The decoding the checkpoint states (<c>generation_config.json</c>, else <c>text_config</c>, else Hugging Face's defaults).</summary>
    public GenerationOptions Generation { get; }

    /// <summary>BLIP's image preprocessing, from <c>preprocessor_config.json</c>.</summary>
    public ImagePreprocessor Preprocessor { get; }

    BlipGenerator(string directory, BlipConfig config, BlipArchitecture architecture, CheckpointReader weights, WordPieceTokenizer? tokenizer,
        PreprocessOptions preprocess, GenerationOptions generation)
    {
        if (architecture == BlipArchitecture.ImageTextRetrieval)
            throw new ArgumentException("a BlipForImageTextRetrieval has no text decoder; load it as a BlipModel", nameof(architecture));
        if (architecture == BlipArchitecture.QuestionAnswering && config.Text.Width != config.Vision.Width)
            throw new SieveFormatException($"{directory}: the VQA decoder reads the question's states ({config.Text.Width} wide, text_config.hidden_size) through encoder_hidden_size {config.Vision.Width}; they must agree");
        if (config.BosTokenId >= config.VocabSize || config.SepTokenId >= config.VocabSize)
            throw new SieveFormatException($"{directory}: text_config.bos_token_id {config.BosTokenId} or sep_token_id {config.SepTokenId} is outside the vocabulary of {config.VocabSize}");
        (_directory, Config, Architecture, _tokenizer, Generation) = (directory, config, architecture, tokenizer, generation);
        Vision = BlipModel.LoadVision(config, weights, IdentityReadout(config, weights));
        if (architecture == BlipArchitecture.QuestionAnswering) _questionEncoder = new BlipTextTower(config, weights, heads: false);
        _decoder = new BlipTextDecoder(config, weights, config.Vision.Width);
        Preprocessor = new ImagePreprocessor(preprocess);
    }

    /// <summary>
    /// Loads a Hugging Face BLIP captioning or VQA folder: <c>config.json</c>, <c>model.safetensors</c> (or shards), and,
    /// when present, <c>vocab.txt</c> (+ <c>tokenizer_config.json</c>, the added [DEC] and [ENC]),
    /// <c>preprocessor_config.json</c> and <c>generation_config.json</c>. Which head it is follows from the tensors:
    /// a text decoder, and for VQA a text encoder beside it.
    /// </summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="precision">The vision tower's and text encoder's linear layers: float32, or int8 quantized at load (the decoder's too).</param>
    /// <exception cref="SieveFormatException">A file or tensor is missing or malformed, or the folder has no text decoder (a retrieval checkpoint).</exception>
    public static BlipGenerator Load(string directory, Precision precision = Precision.Float32)
    {
        if (!Directory.Exists(directory)) throw new SieveFormatException($"model folder '{directory}' does not exist");
        var json = JsonConfig.Load(Path.Combine(directory, "config.json"));
        var config = BlipConfig.FromHuggingFace(json);
        using var file = CheckpointFiles.Open(directory);
        if (!file.Contains(BlipLayout.Decoder.Words))
            throw new SieveFormatException($"{directory}: no text decoder ({BlipLayout.Decoder.Words} is missing): a BlipForImageTextRetrieval checkpoint cannot caption or answer; use a BlipForConditionalGeneration or BlipForQuestionAnswering one");
        var architecture = file.Contains(BlipLayout.Text.Words) ? BlipArchitecture.QuestionAnswering : BlipArchitecture.ConditionalGeneration;
        var tokenizer = BlipModel.LoadTokenizer(directory, config);
        var generation = GenerationOptions.Read(directory, json.Section("text_config", optional: true));
        return new BlipGenerator(directory, config, architecture, new CheckpointReader(file) { Precision = precision }, tokenizer,
            PreprocessOptions.ForBlip(directory, config.ImageSize), generation);
    }

    /// <summary>A model of the given shape and head with seeded random weights and no tokenizer: for timing and memory measurements.</summary>
    public static BlipGenerator CreateRandom(BlipConfig config, BlipArchitecture architecture = BlipArchitecture.ConditionalGeneration, int seed = 0) =>
        Create(config, architecture, CheckpointReader.Random(seed));

    /// <summary>The model with <paramref name="weights"/>, no tokenizer, BLIP's default preprocessing and Hugging Face's default decoding.</summary>
    internal static BlipGenerator Create(BlipConfig config, BlipArchitecture architecture, CheckpointReader weights) =>
        new("(randomly initialised model)", config, architecture, weights, null, PreprocessOptions.BlipDefaultsAt(config.ImageSize), new GenerationOptions());

    /// <summary>
    /// <c>post_layernorm</c> and, for the <c>vision_proj</c> these checkpoints do not have, the identity: the vision
    /// tower's embedding is then the normalised class token (Hugging Face's <c>pooler_output</c>).
    /// </summary>
    static TokenReadout IdentityReadout(BlipConfig config, CheckpointReader w)
    {
        int d = config.Vision.Width;
        var identity = new float[d * d];
        for (int i = 0; i < d; i++) identity[i * d + i] = 1;
        return new TokenReadout(w.Weight(BlipLayout.Vision.PostNorm, d), w.Bias(BlipLayout.Vision.PostNorm, d), config.Vision.LayerNormEps, identity, null);
    }

    /// <summary>The tokenizer; throws a clear error when the folder has none.</summary>
    internal WordPieceTokenizer Tokenizer => _tokenizer ?? throw new SieveFormatException(
        $"{_directory}: no {WordPieceTokenizer.VocabFile}; text needs the BERT WordPiece vocabulary beside the model");

    /// <inheritdoc />
    public IReadOnlyList<ITower> Towers => _questionEncoder == null ? [Vision] : [Vision, _questionEncoder];

    /// <summary>This model with <paramref name="reduction"/>'s vision spec bound to the vision tower and its text spec to the question encoder (weights shared; the decoder is never reduced).</summary>
    /// <param name="reduction">The reducers per tower.</param>
    /// <param name="guidance">Fitted guidance for this model, or null.</param>
    public BlipGenerator WithReduction(ModelReduction reduction, ReductionGuidance? guidance = null)
    {
        var reduced = (BlipGenerator)MemberwiseClone();
        reduced.Vision = Vision.WithReducer(TowerHooks.Bind(Vision, reduction, guidance));
        reduced._questionEncoder = _questionEncoder?.WithReducer(TowerHooks.Bind(_questionEncoder, reduction, guidance));
        return reduced;
    }

    IModel IModel.WithReduction(ModelReduction reduction, ReductionGuidance? guidance) => WithReduction(reduction, guidance);

    /// <summary>
    /// The decoder's prompt for a caption, as BLIP's processor and <c>generate</c> build it: [DEC], then the word pieces of
    /// <paramref name="prompt"/> (none for an unconditional caption).
    /// </summary>
    /// <exception cref="ArgumentException">The prompt does not fit the decoder's positions.</exception>
    public int[] CaptionPrompt(string? prompt = null)
    {
        var pieces = string.IsNullOrWhiteSpace(prompt) ? [] : Tokenizer.Tokenize(prompt);
        if (pieces.Count + 1 >= Config.MaxPositions)
            throw new ArgumentException($"the prompt has {pieces.Count + 1} tokens with [DEC]; the text decoder's context is {Config.MaxPositions} positions (max_position_embeddings), and at least one must be left to generate", nameof(prompt));
        return [Config.BosTokenId, .. pieces];
    }

    /// <summary>The caption of <paramref name="image"/>: the decoded text, prompt words included (as Hugging Face's <c>decode(…, skip_special_tokens=True)</c>).</summary>
    /// <param name="image">The image.</param>
    /// <param name="prompt">Words the caption starts with ("a picture of"), or null for an unconditional caption.</param>
    /// <param name="options">Decoding; null: the checkpoint's <see cref="Generation"/>.</param>
    /// <exception cref="ArgumentException">The prompt does not fit, or an option is out of range.</exception>
    public string Caption(RgbImage image, string? prompt = null, GenerationOptions? options = null) =>
        Tokenizer.Decode(Caption(Preprocessor.Process(image), CaptionPrompt(prompt), options));

    /// <summary>The token ids of the caption of a preprocessed image, <paramref name="prompt"/> first (<see cref="CaptionPrompt"/>), the end token last when it came.</summary>
    /// <param name="pixels">Preprocessed image [3, S, S] (<see cref="Preprocessor"/>).</param>
    /// <param name="prompt">The decoder's prompt (<see cref="CaptionPrompt"/>).</param>
    /// <param name="options">Decoding; null: the checkpoint's <see cref="Generation"/>.</param>
    /// <param name="hook">Observes the vision tower's blocks, and is told the decoder's multiply-adds (<see cref="BlockHook.Outside"/>), or null.</param>
    /// <exception cref="ArgumentException">The image is not S × S, the prompt does not fit, or an option is out of range.</exception>
    public int[] Caption(float[] pixels, int[] prompt, GenerationOptions? options = null, BlockHook? hook = null)
    {
        using var image = AttendImage(pixels, hook);
        return Decode(image, prompt, options, hook);
    }

    /// <summary>
    /// The answer to <paramref name="question"/> about <paramref name="image"/>, as <c>BlipForQuestionAnswering.generate</c>
    /// gives it: the question ([CLS] … [SEP]) encoded with the image, then decoded from [DEC].
    /// </summary>
    /// <exception cref="SieveFormatException">The checkpoint is a captioning one (no text encoder).</exception>
    /// <exception cref="ArgumentException">The question is longer than the text encoder's positions, or an option is out of range.</exception>
    public string Answer(RgbImage image, string question, GenerationOptions? options = null) =>
        Tokenizer.Decode(Answer(Preprocessor.Process(image), QuestionIds(question), options));

    /// <summary>[CLS], the word pieces of <paramref name="question"/>, [SEP]; refused rather than cut when too long.</summary>
    /// <exception cref="ArgumentException">The question has more tokens than the text encoder's positions.</exception>
    public int[] QuestionIds(string question)
    {
        var tokens = Tokenizer.Encode(question);
        if (tokens.DroppedTokens > 0)
            throw new ArgumentException($"the question has {tokens.Ids.Length + tokens.DroppedTokens} tokens, more than the model's {Config.MaxPositions} (max_position_embeddings)", nameof(question));
        return tokens.Ids;
    }

    /// <summary>The token ids of the answer ([DEC] first, the end token last when it came) to a tokenized question about a preprocessed image.</summary>
    /// <param name="pixels">Preprocessed image [3, S, S] (<see cref="Preprocessor"/>).</param>
    /// <param name="question">The question's ids (<see cref="QuestionIds"/>).</param>
    /// <param name="options">Decoding; null: the checkpoint's <see cref="Generation"/>.</param>
    /// <param name="hook">Observes the vision tower's and then the question encoder's blocks, and is told the decoder's multiply-adds, or null.</param>
    /// <exception cref="SieveFormatException">The checkpoint is a captioning one (no text encoder).</exception>
    public int[] Answer(float[] pixels, int[] question, GenerationOptions? options = null, BlockHook? hook = null)
    {
        var encoder = _questionEncoder ?? throw new SieveFormatException(
            $"{_directory}: no text encoder (text_encoder.*): a BlipForConditionalGeneration checkpoint captions but cannot answer questions; use a BlipForQuestionAnswering one");
        var (_, image) = Vision.EncodeWithTokens(ImageTokens.Pixels(TowerInput.Image(pixels, Config.ImageSize), Vision.Info, Config.ImageSize), hook);
        using var states = _decoder.Attend(encoder.States(question, image, hook));
        return Decode(states, [Config.BosTokenId], options, hook);
    }

    /// <summary>The image tokens the vision tower leaves (with the bound reducer), projected for every decoder layer: what captioning decodes against.</summary>
    internal DecoderContext AttendImage(float[] pixels, BlockHook? hook = null)
    {
        var (_, tokens) = Vision.EncodeWithTokens(ImageTokens.Pixels(TowerInput.Image(pixels, Config.ImageSize), Vision.Info, Config.ImageSize), hook);
        return _decoder.Attend(tokens);
    }

    /// <summary>
    /// Generates from <paramref name="prompt"/> against a projected context, ending at [SEP]; <paramref name="hook"/> is
    /// told the decoder's multiply-adds (<see cref="BlipTextDecoder.DecodeMacs"/>: the projection and every step × beams).
    /// </summary>
    internal int[] Decode(DecoderContext context, int[] prompt, GenerationOptions? options, BlockHook? hook = null)
    {
        var o = (options ?? Generation).Checked();
        if (o.MaxLength > Config.MaxPositions)
            throw new ArgumentException($"max length {o.MaxLength} exceeds the text decoder's {Config.MaxPositions} positions (max_position_embeddings)", nameof(options));
        var ids = TextGenerator.Generate(_decoder.Start(context), prompt, o, Config.SepTokenId);
        hook?.Outside(_decoder.DecodeMacs(context.Layers[0].Count, ids.Length, o.Beams));
        return ids;
    }

    /// <summary>The decoder, for tests and measurements.</summary>
    internal BlipTextDecoder Decoder => _decoder;
}
