using System.Text.Json;
using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Cli.Serve;

/// <summary>One input's result, with what its forward executed.</summary>
/// <param name="Value">The result.</param>
/// <param name="GMacs">Multiply-adds of the forward, in billions.</param>
/// <param name="TokensKept">Tokens left after the first tower's last block (after reduction): the image tower's when there is an image (<see cref="FirstTowerTokens"/>).</param>
internal sealed record Ran<T>(T Value, double GMacs, int TokensKept);

/// <summary>
/// One request to a task endpoint, as its handler sees it: the JSON body's fields (each refused with a 400 that
/// names it), the served model bound to the request's reducer, and a way to run inputs in the shared batches.
/// </summary>
internal sealed class ServeRequest(ServeEndpoint endpoint, JsonElement body, ServedModel model, ServeSettings settings, MicroBatcher batcher,
    LabelEmbeddingCache labels, ServeMetrics metrics, CancellationToken aborted)
{
    /// <summary>The model's name in responses.</summary>
    public string ModelId => model.Id;

    /// <summary>The server's zero-shot label embeddings, kept across requests.</summary>
    public LabelEmbeddingCache Labels => labels;

    /// <summary>The key of <paramref name="labelSet"/>'s and <paramref name="templates"/>' embeddings under this request's reducer and the server's precision.</summary>
    public string LabelKey(IReadOnlyList<string> labelSet, IReadOnlyList<string>? templates) =>
        LabelEmbeddingCache.Key(labelSet, templates, OptionalString("reducer") ?? model.DefaultReducer, model.Precision);

    /// <summary>A string field, or null when absent.</summary>
    public string? OptionalString(string name) => body.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
        ? v.ValueKind == JsonValueKind.String ? v.GetString()! : throw ServeRequestException.Bad($"{name}: expected a string, got {Kind(v)}", name)
        : null;

    /// <summary>A string field that must be there and not be empty.</summary>
    public string RequiredString(string name) => OptionalString(name) is { Length: > 0 } s ? s : throw ServeRequestException.Bad($"{name}: required (a non-empty string)", name);

    /// <summary>An integer field in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/> when absent.</summary>
    public int OptionalInt(string name, int fallback, int min, int max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < min || n > max)
            throw ServeRequestException.Bad($"{name}: expected an integer from {min} to {max}, got {UsageError.Echo(v.GetRawText())}", name);
        return n;
    }

    /// <summary>A finite number field in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/> when absent.</summary>
    public double OptionalNumber(string name, double fallback, double min, double max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double x) || !double.IsFinite(x) || x < min || x > max)
            throw ServeRequestException.Bad($"{name}: expected a number from {min} to {max}, got {UsageError.Echo(v.GetRawText())}", name);
        return x;
    }

    /// <summary>A boolean field, or false when absent.</summary>
    public bool OptionalBool(string name) => body.TryGetProperty(name, out var v) && v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False or JsonValueKind.Null => false,
        _ => throw ServeRequestException.Bad($"{name}: expected true or false, got {Kind(v)}", name),
    };

    /// <summary>
    /// A field holding one string or an array of them (<paramref name="single"/> false: an array only), or null when absent.
    /// </summary>
    public string[]? Strings(string name, bool single)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (single && v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        string expected = single ? "a string or an array of strings" : "an array of strings";
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0) throw ServeRequestException.Bad($"{name}: expected {expected}, got {Kind(v)}", name);
        return v.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String ? e.GetString()!
            : throw ServeRequestException.Bad($"{name}[{i}]: expected a string, got {Kind(e)}", name)).ToArray();
    }

    /// <summary>The image in field <paramref name="name"/> (a base64 data URL), decoded.</summary>
    public RgbImage Image(string name) => ImageDataUrl.Decode(RequiredString(name), name, settings);

    /// <summary>The image in field <paramref name="name"/>, checked now and decoded when the function runs (inside the batch: <see cref="ImageDataUrl.Read"/>).</summary>
    public Func<RgbImage> ImageInBatch(string name) => ImageDataUrl.Read(RequiredString(name), name, settings);

    /// <summary>The image held by a data URL found in field <paramref name="param"/>, checked now and decoded when the function runs.</summary>
    public Func<RgbImage> ImageInBatch(string dataUrl, string param) => ImageDataUrl.Read(dataUrl, param, settings);

    /// <summary>
    /// The served model bound to the request's <c>reducer</c> field (else the server's), as the kind this endpoint
    /// needs; a 400 when the server runs another kind of model.
    /// </summary>
    public T Model<T>(string needs) where T : class => model.Reduced(OptionalString("reducer")) as T ?? throw Unserved(needs);

    /// <summary>The 400 of a request the served model cannot answer: what it is, and what <paramref name="needs"/> this endpoint.</summary>
    public ServeRequestException Unserved(string needs) =>
        ServeRequestException.Bad($"this server runs a {model.Family} model ('{model.Id}'); {endpoint.Path} needs {needs}");

    /// <summary>
    /// The dense image encoder with the image tower's reducer the request's <c>reducer</c> field names (else the
    /// server's), for drawing what it merges; a 400 when the server's model reads no images alone.
    /// </summary>
    public (IImageEncoder Encoder, ReducerSpec Spec, ReductionGuidance? Guidance) ImageReduction()
    {
        var encoder = model.Dense as IImageEncoder
            ?? throw ServeRequestException.Bad($"this server runs a {model.Family} model ('{model.Id}'); {endpoint.Path} needs an image encoder (ViT, CLIP or BLIP)");
        var (spec, guidance) = model.VisionReduction(OptionalString("reducer"));
        try { TowerHooks.CheckFits(spec, encoder.ImageTower); }
        catch (ArgumentException e) { throw ServeRequestException.Bad($"reducer: {e.Message}", "reducer"); }
        return (encoder, spec, guidance);
    }

    /// <summary>
    /// Runs <paramref name="works"/> (one per input, each handed the hook that traces its forward) in the shared
    /// batches and returns their results in order: 429 when the queue has no room, 504 past the request timeout,
    /// 400 when the model refuses an input.
    /// </summary>
    public async Task<Ran<T>[]> RunAsync<T>(IReadOnlyList<Func<BlockHook, T>> works)
    {
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var traced = works.Select(work => (Func<Ran<T>>)(() => Trace(work))).ToArray();
        var results = batcher.TrySubmit(traced, abandon.Token)
            ?? throw new ServeRequestException(429, $"the queue is full ({settings.QueueCapacity} inputs waiting); retry later");
        try
        {
            return await Task.WhenAll(results).WaitAsync(settings.RequestTimeout, aborted);
        }
        catch (TimeoutException)
        {
            abandon.Cancel(); // inputs still queued are dropped, not run for nobody
            throw new ServeRequestException(504, $"not answered within the server's request timeout ({settings.RequestTimeout.TotalMilliseconds:0} ms)");
        }
        catch (Exception e) when (e is ArgumentException or SieveFormatException)
        {
            throw ServeRequestException.Bad(UsageError.Message(e)!);
        }
    }

    Ran<T> Trace<T>(Func<BlockHook, T> work)
    {
        var trace = new ForwardTrace();
        var first = new FirstTowerTokens();
        var value = work(BlockHook.Combine(trace, first)!);
        int kept = first.Kept;
        metrics.GMacs.WithLabels(endpoint.Task).Inc(trace.GMacs);
        metrics.TokensKept.WithLabels(endpoint.Task).Observe(kept);
        return new Ran<T>(value, trace.GMacs, kept);
    }

    /// <summary>A preprocessed image as <paramref name="encoder"/>'s image tower takes it.</summary>
    public static TowerInput Pixels(IImageEncoder encoder, RgbImage image) =>
        TowerInput.Image(encoder.Preprocessor.Process(image), encoder.ImageTower.ImageSize);

    static string Kind(JsonElement v) => v.ValueKind.ToString().ToLowerInvariant();
}
