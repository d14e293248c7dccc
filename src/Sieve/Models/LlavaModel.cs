using System.Diagnostics;
using System.Text.Json;
using Sieve.Data;
using Sieve.Models.Generation;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// A Hugging Face <c>LlavaForConditionalGeneration</c> (LLaVA-1.5 and its kin): the CLIP vision tower up to
/// <c>vision_feature_layer</c>, the two-layer projector (<c>multi_modal_projector</c>: linear, GELU, linear) into the
/// decoder's width, and a Llama decoder whose prompt has the projected visual tokens in place of its image
/// placeholders; with the checkpoint's <c>tokenizer.json</c> and CLIP image preprocessing.
/// </summary>
public sealed class LlavaModel
{
    readonly Linear _projector1, _projector2;
    readonly SentencePieceBpeTokenizer? _tokenizer;
    readonly LlavaChatTemplate _template;
    readonly string _directory;
    VisionZipSpec? _visionZip; // set only on the copies WithTokenSelection makes
    FastVSpec? _fastV;

    LlavaModel(string directory, LlavaConfig config, CheckpointReader w, SentencePieceBpeTokenizer? tokenizer, LlavaChatTemplate template, PreprocessOptions preprocess,
        GenerationOptions defaults, int[] stops)
    {
        var layout = LlavaLayout.Detect(w.Has);
        (_directory, Config, _tokenizer, _template, Defaults, Stops) = (directory, config, tokenizer, template, defaults, stops);
        Vision = new LlavaVisionTower(config, w, layout);
        int dv = config.Vision.Width, dt = config.Text.Width;
        _projector1 = w.Linear(layout.Projector1, dv, dt, config.ProjectorBias);
        _projector2 = w.Linear(layout.Projector2, dt, dt, config.ProjectorBias);
        Decoder = new LlamaDecoder(config.Text, w, layout);
        Preprocessor = new ImagePreprocessor(preprocess);
    }

    /// <summary>The model's shape.</summary>
    public LlavaConfig Config { get; }

    /// <summary>The vision tower (with the bound reducer, on a reduced copy).</summary>
    public LlavaVisionTower Vision { get; private set; }

    internal LlamaDecoder Decoder { get; }

    /// <summary>The image preprocessing (<c>preprocessor_config.json</c>, or CLIP's at the tower's size).</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>Decoding defaults: <c>generation_config.json</c>'s, else Hugging Face's.</summary>
    public GenerationOptions Defaults { get; }

    /// <summary>Tokens that end an answer (<c>eos_token_id</c>, one or several).</summary>
    public IReadOnlyList<int> Stops { get; }

    /// <summary>The file the chat template came from, or null when the folder has none and LLaVA-1.5's prompt is used.</summary>
    public string? ChatTemplateFile => _template.Source;

    internal SentencePieceBpeTokenizer Tokenizer => _tokenizer ?? throw new SieveFormatException($"{_directory}: no tokenizer; chat needs tokenizer.json beside the model");

    /// <summary>Loads a Hugging Face LLaVA folder (<c>config.json</c>, safetensors weights, <c>tokenizer.json</c>).</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="precision">The decoder's and vision blocks' linear layers: float32, or int8 quantized at load.</param>
    /// <exception cref="SieveFormatException">
    /// A file is missing or malformed (named), e.g. no <c>tokenizer.json</c>, or the chat template uses a construct Sieve does not interpret.
    /// </exception>
    public static LlavaModel Load(string directory, Precision precision = Precision.Float32)
    {
        var json = JsonConfig.Load(Path.Combine(directory, "config.json"));
        var config = LlavaConfig.FromHuggingFace(json);
        var tokenizer = SentencePieceBpeTokenizer.Load(Path.Combine(directory, "tokenizer.json"));
        if (tokenizer.Id(LlavaChatTemplate.ImageToken) != config.ImageTokenId)
            throw new SieveFormatException($"{directory}: tokenizer.json gives {LlavaChatTemplate.ImageToken} the id {tokenizer.Id(LlavaChatTemplate.ImageToken)}, but config.json's image_token_index is {config.ImageTokenId}");
        var preprocess = PreprocessOptions.ForClip(directory, config.ImageSize);
        if (preprocess.CropWidth != config.ImageSize || preprocess.CropHeight != config.ImageSize)
            throw new SieveFormatException($"{directory}: preprocessor_config.json crops {preprocess.CropWidth}×{preprocess.CropHeight}, but the vision tower takes {config.ImageSize}×{config.ImageSize} images");
        var text = json.Section("text_config", optional: true);
        var defaults = GenerationOptions.Read(directory, text);
        var stops = StopTokens(directory, text, config.Text.VocabSize);
        string bos = tokenizer.Encode("") is [int start, ..] ? tokenizer.Decode([start], skipSpecial: false) : "";
        var template = LlavaChatTemplate.Load(directory, bos, tokenizer.Decode([stops[0]], skipSpecial: false));
        using var file = CheckpointFiles.Open(directory);
        return new LlavaModel(directory, config, new CheckpointReader(file) { Precision = precision }, tokenizer, template, preprocess, defaults, stops);
    }

    /// <summary>A model of the given shape with seeded random weights and no tokenizer: for timing and memory, which do not depend on the values.</summary>
    public static LlavaModel CreateRandom(LlavaConfig config, int seed = 0, Precision precision = Precision.Float32) =>
        Create(config, CheckpointReader.Random(seed, precision: precision));

    /// <summary>The model with <paramref name="weights"/>, no tokenizer, CLIP's preprocessing, end token 2.</summary>
    internal static LlavaModel Create(LlavaConfig config, CheckpointReader weights) =>
        new("(randomly initialised model)", config, weights, null, LlavaChatTemplate.Llava15, PreprocessOptions.ClipDefaultsAt(config.ImageSize), new GenerationOptions(), [2]);

    /// <summary><c>eos_token_id</c> (a number or a list) from <c>generation_config.json</c>, else the text config (default 2).</summary>
    static int[] StopTokens(string directory, JsonConfig text, int vocab)
    {
        string file = Path.Combine(directory, "generation_config.json");
        var source = InputFile.IsPresent(file) && JsonConfig.Load(file) is var g && g.Has("eos_token_id") ? g : text;
        int[] ids = source.Find("eos_token_id") switch
        {
            { ValueKind: JsonValueKind.Array } list => list.EnumerateArray().Select(e => e.TryGetInt32(out int v) ? v : -1).ToArray(),
            { ValueKind: JsonValueKind.Number } one => [one.TryGetInt32(out int v) ? v : -1],
            _ => [2],
        };
        if (ids.Length == 0 || ids.Any(id => id < 0 || id >= vocab)) throw source.Problem("eos_token_id", $"must be token ids within the vocabulary of {vocab}");
        return ids;
    }

    /// <summary>This model with <paramref name="reduction"/>'s vision spec bound to the vision tower (weights shared).</summary>
    /// <exception cref="ArgumentException">The spec cannot apply to the tower.</exception>
    public LlavaModel WithReduction(ModelReduction reduction, ReductionGuidance? guidance = null)
    {
        var reducer = TowerHooks.Bind(Vision, reduction, guidance);
        var reduced = (LlavaModel)MemberwiseClone();
        reduced.Vision = Vision.WithReducer(reducer);
        return reduced;
    }

    /// <summary>
    /// This model with a VisionZip selection of the visual tokens before the projector and/or a FastV drop of them inside
    /// the decoder (weights shared). With a tower reducer bound (<see cref="WithReduction"/>), VisionZip selects from the
    /// tokens the tower left, ranked by the class token's attention in the feature layer, their sizes honoured.
    /// </summary>
    /// <exception cref="ArgumentException">A value is out of range, or VisionZip meets the "full" feature strategy.</exception>
    public LlavaModel WithTokenSelection(VisionZipSpec? visionZip, FastVSpec? fastV)
    {
        if (visionZip is { Dominant: < 0 } or { Contextual: < 0 } or { Dominant: 0, Contextual: 0 })
            throw new ArgumentException($"{visionZip}: dominant and contextual must be at least 0, and one of them at least 1");
        if (fastV != null && (fastV.Layer < 0 || fastV.Layer >= Config.Text.Layers || fastV.Keep < 0))
            throw new ArgumentException($"{fastV}: layer must lie in 0…{Config.Text.Layers - 1} (the decoder's layers) and keep be at least 0");
        if (visionZip != null && Config.KeepClassToken)
            throw new ArgumentException($"{visionZip} selects patch tokens; it needs vision_feature_select_strategy \"default\" (the class token dropped)");
        var selected = (LlavaModel)MemberwiseClone();
        (selected._visionZip, selected._fastV) = (visionZip, fastV);
        return selected;
    }

    /// <summary>The model's input tensor [3, S, S] for an image.</summary>
    public float[] Preprocess(RgbImage image) => Preprocessor.Process(image);

    /// <summary>The visual tokens of a preprocessed image in the decoder's width [tokens, D], with their sizes once merged.</summary>
    internal TokenContext ImageFeatures(ReadOnlySpan<float> pixels)
    {
        TokenContext features;
        if (_visionZip is { } zip)
        {
            var probe = new VisionZipProbe(Config.FeatureLayers - 1);
            var patches = Vision.Features(pixels, probe);
            features = zip.Select(patches, probe.ClassAttention, probe.Keys, probe.KeyWidth);
        }
        else features = Vision.Features(pixels);
        int n = features.Count, dt = Config.Text.Width;
        using var hidden = new Scratch(n * dt);
        var projected = new float[n * dt];
        _projector1.Forward(features.Features, n, hidden.Span, Config.ProjectorActivation);
        _projector2.Forward(hidden.Span, n, projected);
        return TokenContext.Of(projected, n, dt, features.LogSizes);
    }

    /// <summary>
    /// The prompt's ids for <paramref name="question"/>: the chat template tokenized (with the start token unless the
    /// template wrote it), its image placeholder repeated once per visual token, as LLaVA's processor expands it.
    /// </summary>
    internal int[] PromptIds(string question, int imageTokens)
    {
        var (text, addSpecial) = _template.Format(question);
        var ids = Tokenizer.Encode(text, addSpecial);
        return ids.SelectMany(id => id == Config.ImageTokenId ? Enumerable.Repeat(id, imageTokens) : [id]).ToArray();
    }

    /// <summary>
    /// Starts a sequence: <paramref name="ids"/> embedded, each image placeholder replaced by the next of
    /// <paramref name="image"/>'s tokens (merged ones weighing as their size in every later attention), run through the decoder.
    /// </summary>
    /// <returns>The session (to continue decoding) and the logits of the token after the prompt.</returns>
    /// <exception cref="ArgumentException">The placeholders and the image's tokens differ in number, or the prompt outgrows the context.</exception>
    internal (LlamaDecoder.Session Session, float[] Logits) Prefill(ReadOnlySpan<int> ids, TokenContext image)
    {
        int d = Config.Text.Width, placeholders = 0;
        foreach (int id in ids) if (id == Config.ImageTokenId) placeholders++;
        if (placeholders != image.Count)
            throw new ArgumentException($"the prompt has {placeholders} image tokens (id {Config.ImageTokenId}) but the image gives {image.Count} features; they must match");
        if (image.Width != d) throw new ArgumentException($"the image features are {image.Width} wide; the decoder takes {d}", nameof(image));
        using var x = new Scratch(ids.Length * d);
        var logSizes = image.LogSizes != null ? new float[ids.Length] : null;
        for (int i = 0, v = 0; i < ids.Length; i++)
        {
            if (ids[i] != Config.ImageTokenId)
            {
                Decoder.Embed(ids.Slice(i, 1), x.Span.Slice(i * d, d));
                continue;
            }
            image.Features.AsSpan(v * d, d).CopyTo(x.Span.Slice(i * d, d));
            if (logSizes != null) logSizes[i] = image.LogSizes![v];
            v++;
        }
        var session = Decoder.Start();
        var visual = _fastV != null ? ids.ToArray().Select(id => id == Config.ImageTokenId).ToArray() : null;
        var logits = session.AppendEmbeddings(x.Span, ids.Length, logSizes, _fastV, visual);
        return (session, logits);
    }

    /// <summary>
    /// Answers <paramref name="question"/> about an image: the checkpoint's chat prompt (LLaVA-1.5's without one), greedy or sampled decoding until a
    /// stop token or the max new tokens, each piece of text passed to <paramref name="onText"/> as soon as it is complete.
    /// </summary>
    /// <param name="pixels">The preprocessed image (<see cref="Preprocess"/>).</param>
    /// <param name="question">The user's question.</param>
    /// <param name="options">Decoding options (default <see cref="Defaults"/>); one beam.</param>
    /// <param name="onText">Null, or called with the text each new token completes.</param>
    /// <exception cref="ArgumentException">The question is empty, or prompt and answer would outgrow the decoder's positions.</exception>
    /// <exception cref="SieveFormatException">The chat template raised an error or did not place the image once.</exception>
    public LlavaAnswer Chat(ReadOnlySpan<float> pixels, string question, GenerationOptions? options = null, Action<string>? onText = null)
    {
        var clock = Stopwatch.StartNew();
        var image = ImageFeatures(pixels);
        var prompt = PromptIds(question, image.Count);
        options ??= Defaults;
        int longest = options.MaxNewTokens is { } n ? prompt.Length + n : options.MaxLength;
        if (longest > Config.Text.MaxPositions)
            throw new ArgumentException($"the prompt has {prompt.Length} tokens ({image.Count} visual); with up to {longest - prompt.Length} new ones the sequence could reach {longest}, more than the decoder's {Config.Text.MaxPositions} positions (max_position_embeddings)");
        var (session, logits) = Prefill(prompt, image);
        TimeSpan first = TimeSpan.Zero;
        var answer = new List<int>();
        string shown = "";
        void Token(int id)
        {
            if (answer.Count == 0) first = clock.Elapsed;
            answer.Add(id);
            if (onText == null || Stops.Contains(id)) return;
            // A character split over byte tokens is shown once its last byte arrives.
            string text = Tokenizer.Decode(answer);
            if (text.EndsWith('\uFFFD') || text.Length <= shown.Length) return;
            onText(text[shown.Length..]);
            shown = text;
        }
        var sequence = TextGenerator.Continue(session, prompt, logits, options, Stops.ToHashSet(), Token);
        var generated = sequence[prompt.Length..];
        string final = Tokenizer.Decode(generated.Where(id => !Stops.Contains(id)));
        if (onText != null && final.Length > shown.Length && final.StartsWith(shown, StringComparison.Ordinal)) onText(final[shown.Length..]);
        return new LlavaAnswer(final, generated, prompt.Length, image.Count, session.CacheBytes, first, clock.Elapsed - first);
    }
}
