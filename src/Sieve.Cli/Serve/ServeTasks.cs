using Sieve.Data;
using Sieve.Cli.Commands;
using Sieve.Models;
using Sieve.Models.Generation;

namespace Sieve.Cli.Serve;

/// <summary>
/// The endpoints <c>sieve serve</c> answers, one entry each. Every task takes an optional <c>reducer</c> spec (else
/// the server's <c>--reducer</c>) and reports the multiply-adds it executed and the tokens kept after reduction.
/// </summary>
internal static class ServeTasks
{
    /// <summary>The endpoint table.</summary>
    public static IReadOnlyList<ServeEndpoint> All { get; } =
    [
        // In the order the web UI offers them: each model's own task first.
        new("/v1/classify", "classify", m => m is VitModel, Classify),
        new("/v1/zeroshot", "zeroshot", m => m is ClipModel, ZeroShot),
        new("/v1/vqa", "vqa", m => m is ViltModel { HasVqaHead: true } or BlipGenerator { QuestionEncoder: not null }, Vqa),
        new("/v1/caption", "caption", m => m is BlipGenerator { Architecture: BlipArchitecture.ConditionalGeneration }, Caption),
        new("/v1/match", "match", m => m is BlipModel, Match),
        new("/v1/embeddings", "embeddings", m => m is IImageEncoder or ITextModel, Embeddings),
        new("/v1/mergemap", "mergemap", m => m is IImageEncoder, MergeMap),
    ];

    /// <summary>
    /// OpenAI's embeddings request: <c>input</c> is a string or an array of strings, each a text or an image as a base64
    /// data URL; <c>encoding_format</c> <c>float</c> (default) or <c>base64</c> (little-endian float32); <c>normalize</c>
    /// asks for unit-length vectors. Texts need a CLIP or BLIP model; images any image encoder (ViT features too).
    /// </summary>
    static async Task<object> Embeddings(ServeRequest request)
    {
        var inputs = request.Strings("input", single: true) ?? throw ServeRequestException.Bad("input: required (a string or an array of strings)", "input");
        string format = request.OptionalString("encoding_format") ?? "float";
        if (format is not ("float" or "base64"))
            throw ServeRequestException.Bad($"encoding_format: expected float or base64, got '{UsageError.Echo(format)}'", "encoding_format");
        bool normalize = request.OptionalBool("normalize");
        var works = new List<Func<Nn.BlockHook, float[]>>(inputs.Length);
        var warnings = new List<string>();
        int textTokens = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            string param = inputs.Length == 1 ? "input" : $"input[{i}]";
            if (ImageDataUrl.IsImage(inputs[i]))
            {
                var encoder = request.Model<IImageEncoder>("an image encoder (ViT, CLIP or BLIP) for images");
                var image = request.ImageInBatch(inputs[i], param);
                works.Add(hook => encoder.EncodeImage(ServeRequest.Pixels(encoder, image()), hook));
                continue;
            }
            var model = request.Model<ITextModel>("a CLIP or BLIP model for texts");
            if (inputs[i].Length == 0) throw ServeRequestException.Bad($"{param}: empty text", "input");
            var tokens = ServeRequestException.For("input", () => model.Tokenize(inputs[i]), param);
            if (tokens.Warning != null) warnings.Add($"{param}: {tokens.Warning}");
            textTokens += tokens.Ids.Length;
            var input = TowerInput.Text(tokens.Ids);
            works.Add(hook => model.TextTower.Forward(input, hook));
        }
        var ran = await request.RunAsync(works);
        return new
        {
            @object = "list",
            data = ran.Select((r, i) =>
            {
                var v = normalize ? ZeroShotClassifier.Normalized(r.Value) : r.Value;
                return new { @object = "embedding", index = i, embedding = format == "float" ? (object)v : Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())) };
            }),
            model = request.ModelId,
            usage = new { prompt_tokens = textTokens, total_tokens = textTokens },
            gmacs = ran.Sum(r => r.GMacs),
            tokens_kept = ran.Select(r => r.TokensKept),
            warnings,
        };
    }

    /// <summary><c>{"image": DATA_URL, "top": 5}</c> → the timm ViT's top classes.</summary>
    static async Task<object> Classify(ServeRequest request)
    {
        var vit = request.Model<VitModel>("a timm ViT classifier");
        int top = request.OptionalInt("top", 5, 1, 1000);
        var image = request.ImageInBatch("image");
        var ran = (await request.RunAsync([hook => Prediction.TopK(vit.Logits(vit.Preprocess(image()), hook), vit.Config.Labels, top)]))[0];
        return new { model = request.ModelId, predictions = Predictions(ran.Value), gmacs = ran.GMacs, tokens_kept = ran.TokensKept };
    }

    /// <summary>
    /// <c>{"image": DATA_URL, "labels": [...], "templates": [...], "top": 5}</c> → CLIP's zero-shot labels (CLIP's 7-prompt
    /// ensemble without templates). The labels' embeddings are kept across requests (<see cref="LabelEmbeddingCache"/>):
    /// <c>prompts_cached</c> says whether they were, and <c>prompt_gmacs</c> counts the prompts' work only when it ran.
    /// </summary>
    static async Task<object> ZeroShot(ServeRequest request)
    {
        var clip = request.Model<ClipModel>("a CLIP model");
        var labels = request.Strings("labels", single: false) ?? throw ServeRequestException.Bad("labels: required (an array of class names)", "labels");
        if (labels.GroupBy(l => l).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw ServeRequestException.Bad($"labels: '{UsageError.Echo(twice.Key)}' is given {twice.Count()} times; each class once", "labels");
        var templates = request.Strings("templates", single: false);
        int top = Math.Min(request.OptionalInt("top", 5, 1, 1000), labels.Length);
        var image = request.ImageInBatch("image");
        string key = request.LabelKey(labels, templates);
        // The prompts are embedded inside the batch too, when not kept: they are model work like the image's forward.
        var ran = (await request.RunAsync([hook =>
        {
            var (classifier, cached) = request.Labels.GetOrAdd(key, () => clip.ZeroShot(labels, templates));
            return (Predictions: Prediction.TopK(classifier.LogitsForEmbedding(clip.EncodeImage(ServeRequest.Pixels(clip, image()), hook)), classifier.Labels, top), classifier, cached);
        }]))[0];
        var (predictions, classifier, cached) = ran.Value;
        return new
        {
            model = request.ModelId, predictions = Predictions(predictions), gmacs = ran.GMacs, prompt_gmacs = cached ? 0 : classifier.PromptGMacs,
            prompts_cached = cached, tokens_kept = ran.TokensKept, warnings = classifier.Warnings,
        };
    }

    /// <summary>
    /// <c>{"image": DATA_URL, "question": "…", "top": 5}</c> → ViLT's likeliest answers (score = sigmoid of the logit);
    /// on a BLIP VQA model the generated answer (<see cref="BlipAnswer"/>).
    /// </summary>
    static async Task<object> Vqa(ServeRequest request)
    {
        const string needs = "a ViLT model with a VQA head or a BLIP VQA model (BlipForQuestionAnswering)";
        var model = request.Model<IModel>(needs);
        if (model is BlipGenerator blip) return await BlipAnswer(request, blip, needs);
        var vilt = model as ViltModel ?? throw request.Unserved(needs);
        if (!vilt.HasVqaHead) throw ServeRequestException.Bad($"the ViLT model '{request.ModelId}' has no VQA head (classifier.*)");
        int top = request.OptionalInt("top", 5, 1, 1000);
        var image = request.Image("image");
        string question = request.RequiredString("question");
        ViltInput input;
        try { input = vilt.Prepare(image, question); }
        catch (ArgumentException e) { throw ServeRequestException.Bad(UsageError.Message(e)!, "image"); }
        var ran = (await request.RunAsync([hook => vilt.Answer(input, top, hook)]))[0];
        return new
        {
            model = request.ModelId, answers = ran.Value.Select(p => new { answer = p.Label, index = p.Index, score = p.Probability }),
            gmacs = ran.GMacs, tokens_kept = ran.TokensKept, warnings = input.Warning is { } w ? new[] { w } : [],
        };
    }

    /// <summary>
    /// BLIP VQA, <c>{"image": DATA_URL, "question": "…"}</c> plus the decoding fields of <see cref="Decoding"/> → the
    /// answer the decoder generates, as <c>sieve vqa</c> gives it (<c>answers</c> holds it too, the shape ViLT's answers have).
    /// </summary>
    static async Task<object> BlipAnswer(ServeRequest request, BlipGenerator blip, string needs)
    {
        if (blip.QuestionEncoder == null)
            throw ServeRequestException.Bad($"the BLIP model '{request.ModelId}' is a captioning one (BlipForConditionalGeneration, no text encoder): use /v1/caption; /v1/vqa needs {needs}");
        string question = request.RequiredString("question");
        int[] ids = ServeRequestException.For("question", () => blip.QuestionIds(question));
        var options = Decoding(request, blip, 1);
        var image = request.ImageInBatch("image");
        var ran = (await request.RunAsync([hook => blip.Answer(blip.Preprocessor.Process(image()), ids, options, hook)]))[0];
        string answer = blip.Tokenizer.Decode(ran.Value);
        return new { model = request.ModelId, answer, answers = new[] { new { answer } }, gmacs = ran.GMacs, tokens_kept = ran.TokensKept, warnings = Array.Empty<string>() };
    }

    /// <summary>
    /// <c>{"image": DATA_URL, "prompt": "a picture of", "beams": 3, "max_length": 20, "min_length": 5, "repetition_penalty": 1.0}</c>
    /// (all but the image optional, as <c>sieve caption</c>'s options) → BLIP's caption, prompt words included.
    /// </summary>
    static async Task<object> Caption(ServeRequest request)
    {
        var blip = request.Model<BlipGenerator>("a BLIP captioning model (BlipForConditionalGeneration)");
        if (blip.Architecture != BlipArchitecture.ConditionalGeneration)
            throw ServeRequestException.Bad($"the BLIP model '{request.ModelId}' is a BlipForQuestionAnswering: use /v1/vqa; /v1/caption needs a BlipForConditionalGeneration");
        int[] prompt = ServeRequestException.For("prompt", () => blip.CaptionPrompt(request.OptionalString("prompt")));
        var options = Decoding(request, blip, prompt.Length);
        var image = request.ImageInBatch("image");
        var ran = (await request.RunAsync([hook => blip.Caption(blip.Preprocessor.Process(image()), prompt, options, hook)]))[0];
        return new { model = request.ModelId, caption = blip.Tokenizer.Decode(ran.Value), tokens = ran.Value.Length, gmacs = ran.GMacs, tokens_kept = ran.TokensKept };
    }

    /// <summary>
    /// The request's decoding: <c>beams</c>, <c>max_length</c>, <c>min_length</c>, <c>repetition_penalty</c>, each
    /// defaulting to the checkpoint's generation config; a 400 naming the field when the lengths leave no room after the
    /// <paramref name="promptTokens"/> or pass the decoder's positions.
    /// </summary>
    static GenerationOptions Decoding(ServeRequest request, BlipGenerator blip, int promptTokens)
    {
        var d = blip.Generation;
        var options = new GenerationOptions(
            request.OptionalInt("max_length", d.MaxLength, 2, blip.Config.MaxPositions), request.OptionalInt("min_length", d.MinLength, 0, GenerationOptions.MaxTokens),
            request.OptionalInt("beams", d.Beams, 1, 64), (float)request.OptionalNumber("repetition_penalty", d.RepetitionPenalty, 1e-3, 1e3), d.LengthPenalty);
        if (options.MinLength > options.MaxLength)
            throw ServeRequestException.Bad($"min_length: {options.MinLength} is more than max_length {options.MaxLength}", "min_length");
        if (promptTokens >= options.MaxLength)
            throw ServeRequestException.Bad($"max_length: the prompt has {promptTokens} tokens with [DEC], as many as max_length {options.MaxLength} allows: nothing is left to generate", "max_length");
        return options.Checked();
    }

    /// <summary>
    /// <c>{"image": DATA_URL, "text": "…" or ["…", …]}</c> → BLIP's two scores for each text: the image–text matching
    /// probability (<c>itm_head</c>) and the contrastive cosine, as <see cref="BlipModel.Match(float[], IReadOnlyList{int[]}, Nn.BlockHook)"/>
    /// gives them (the image encoded once for all texts).
    /// </summary>
    static async Task<object> Match(ServeRequest request)
    {
        var blip = request.Model<BlipModel>("a BLIP retrieval model (BlipForImageTextRetrieval)");
        var texts = request.Strings("text", single: true) ?? throw ServeRequestException.Bad("text: required (a string or an array of strings)", "text");
        var ids = new int[texts.Length][];
        for (int i = 0; i < texts.Length; i++)
        {
            string param = texts.Length == 1 ? "text" : $"text[{i}]";
            if (texts[i].Length == 0) throw ServeRequestException.Bad($"{param}: empty text", "text");
            ids[i] = ServeRequestException.For("text", () => blip.Tokenize(texts[i]).Ids, param);
        }
        var image = request.ImageInBatch("image");
        var ran = (await request.RunAsync([hook => blip.Match(blip.Preprocessor.Process(image()), ids, hook)]))[0];
        return new
        {
            model = request.ModelId,
            matches = ran.Value.Select((m, i) => new { text = texts[i], probability = m.MatchProbability, contrastive = m.ContrastiveScore }),
            gmacs = ran.GMacs, tokens_kept = ran.TokensKept,
        };
    }

    /// <summary>
    /// <c>{"image": DATA_URL, "reducer": SPEC}</c> → the picture <c>sieve visualize</c> draws (the model's view and the
    /// merged patches at four layers) as a PNG data URL.
    /// </summary>
    static async Task<object> MergeMap(ServeRequest request)
    {
        var (encoder, spec, guidance) = request.ImageReduction();
        var image = request.Image("image");
        var layers = MergeMapPicture.DefaultLayers(encoder.ImageTower.Info.Layers);
        var ran = (await request.RunAsync([hook => MergeMapPicture.Draw(encoder, spec, guidance, image, layers, hook)]))[0];
        return new
        {
            model = request.ModelId, reducer = spec.ToString(), image = "data:image/png;base64," + Convert.ToBase64String(ran.Value),
            gmacs = ran.GMacs, tokens_kept = ran.TokensKept,
        };
    }

    static IEnumerable<object> Predictions(IEnumerable<Prediction> predictions) =>
        predictions.Select(p => new { label = p.Label, index = p.Index, probability = p.Probability });
}
