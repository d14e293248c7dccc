using Sieve.Data;
using Sieve.Cli.Commands;
using Sieve.Models;

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
        new("/v1/embeddings", "embeddings", Embeddings),
        new("/v1/classify", "classify", Classify),
        new("/v1/zeroshot", "zeroshot", ZeroShot),
        new("/v1/vqa", "vqa", Vqa),
        new("/v1/mergemap", "mergemap", MergeMap),
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
                var pixels = ServeRequest.Pixels(encoder, request.Image(inputs[i], param));
                works.Add(hook => encoder.EncodeImage(pixels, hook));
                continue;
            }
            var model = request.Model<ITextModel>("a CLIP or BLIP model for texts");
            if (inputs[i].Length == 0) throw ServeRequestException.Bad($"{param}: empty text", "input");
            TokenizedText tokens;
            try { tokens = model.Tokenize(inputs[i]); }
            catch (ArgumentException e) { throw ServeRequestException.Bad($"{param}: {UsageError.Message(e)}", "input"); }
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
        var pixels = vit.Preprocess(request.Image("image"));
        var ran = (await request.RunAsync([hook => Prediction.TopK(vit.Logits(pixels, hook), vit.Config.Labels, top)]))[0];
        return new { model = request.ModelId, predictions = Predictions(ran.Value), gmacs = ran.GMacs, tokens_kept = ran.TokensKept };
    }

    /// <summary><c>{"image": DATA_URL, "labels": [...], "templates": [...], "top": 5}</c> → CLIP's zero-shot labels (CLIP's 7-prompt ensemble without templates).</summary>
    static async Task<object> ZeroShot(ServeRequest request)
    {
        var clip = request.Model<ClipModel>("a CLIP model");
        var labels = request.Strings("labels", single: false) ?? throw ServeRequestException.Bad("labels: required (an array of class names)", "labels");
        if (labels.GroupBy(l => l).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw ServeRequestException.Bad($"labels: '{UsageError.Echo(twice.Key)}' is given {twice.Count()} times; each class once", "labels");
        var templates = request.Strings("templates", single: false);
        int top = Math.Min(request.OptionalInt("top", 5, 1, 1000), labels.Length);
        var pixels = ServeRequest.Pixels(clip, request.Image("image"));
        // The prompts are embedded inside the batch too: they are model work like the image's forward.
        var ran = (await request.RunAsync([hook =>
        {
            var classifier = clip.ZeroShot(labels, templates);
            return (Predictions: Prediction.TopK(classifier.LogitsForEmbedding(clip.EncodeImage(pixels, hook)), classifier.Labels, top), classifier);
        }]))[0];
        var (predictions, classifier) = ran.Value;
        return new
        {
            model = request.ModelId, predictions = Predictions(predictions), gmacs = ran.GMacs, prompt_gmacs = classifier.PromptGMacs,
            tokens_kept = ran.TokensKept, warnings = classifier.Warnings,
        };
    }

    /// <summary><c>{"image": DATA_URL, "question": "…", "top": 5}</c> → ViLT's likeliest answers (score = sigmoid of the logit).</summary>
    static async Task<object> Vqa(ServeRequest request)
    {
        var vilt = request.Model<ViltModel>("a ViLT model with a VQA head");
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
