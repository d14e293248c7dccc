using System.Net;
using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Serve;

/// <summary>Tiny generated ViT, CLIP and ViLT folders, written once for the serve tests.</summary>
public sealed class ServeModels : IDisposable
{
    public TinyCheckpoint Vit { get; } = TinyModels.Vit(5, DType.F32);
    public TinyCheckpoint Clip { get; } = TinyModels.Clip(91, DType.F32);
    public TinyCheckpoint Vilt { get; } = TinyVilt.Write(7);

    public ServeModels() => TinyClipVocab.WriteTo(Clip.Directory);

    public void Dispose()
    {
        Vit.Dispose();
        Clip.Dispose();
        Vilt.Dispose();
    }
}

/// <summary>
/// <c>sieve serve</c> on a loopback port: every endpoint answers what the library answers for the same input (bit for
/// bit: floats travel as shortest round-trip JSON), batching under concurrency, 429, 504, 400s and 413.
/// </summary>
public sealed class ServeTests(ServeModels models) : IClassFixture<ServeModels>
{
    static RgbImage Decode(string dataUrl) => ImageDecoder.Decode(Convert.FromBase64String(dataUrl[(dataUrl.IndexOf(',') + 1)..]), "png");

    [Fact]
    public async Task EmbeddingsOfTextsAndImagesAreTheLibrarysVectors()
    {
        await using var server = await ServeHarness.StartAsync(models.Clip.Directory);
        var clip = ClipModel.Load(models.Clip.Directory);
        string image = ServeHarness.Png(1);
        var (status, body, _) = await server.PostAsync("/v1/embeddings", new { model = "tiny", input = new[] { "a cat", image, "two dogs" } });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("list", body.GetProperty("object").GetString());
        var data = body.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal([0, 1, 2], data.Select(d => d.GetProperty("index").GetInt32()));
        Assert.Equal(clip.EncodeText("a cat"), ServeHarness.Floats(data[0].GetProperty("embedding")));
        Assert.Equal(clip.EncodeImage(Decode(image)), ServeHarness.Floats(data[1].GetProperty("embedding")));
        Assert.Equal(clip.EncodeText("two dogs"), ServeHarness.Floats(data[2].GetProperty("embedding")));
        Assert.Equal(clip.Tokenize("a cat").Ids.Length + clip.Tokenize("two dogs").Ids.Length, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        // base64 (what OpenAI's clients ask for by default): the same float32 values, little-endian.
        (status, body, _) = await server.PostAsync("/v1/embeddings", new { input = image, encoding_format = "base64" });
        Assert.Equal(HttpStatusCode.OK, status);
        var bytes = Convert.FromBase64String(body.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        var fromBase64 = new float[bytes.Length / 4];
        for (int i = 0; i < fromBase64.Length; i++) fromBase64[i] = BitConverter.ToSingle(bytes, 4 * i);
        Assert.Equal(clip.EncodeImage(Decode(image)), fromBase64);

        // normalize: the library's vector divided by its norm (float64 reference here), 1e-6.
        (_, body, _) = await server.PostAsync("/v1/embeddings", new { input = "a cat", normalize = true });
        var raw = clip.EncodeText("a cat");
        double norm = Math.Sqrt(raw.Sum(x => (double)x * x));
        var unit = ServeHarness.Floats(body.GetProperty("data")[0].GetProperty("embedding"));
        for (int i = 0; i < raw.Length; i++) Assert.Equal(raw[i] / norm, unit[i], 1e-6);

        // A per-request reducer: the reduced model's own vector, fewer tokens kept and fewer multiply-adds than dense.
        var (_, dense, _) = await server.PostAsync("/v1/embeddings", new { input = image });
        (_, body, _) = await server.PostAsync("/v1/embeddings", new { input = image, reducer = "vision=tome:r=3" });
        var reduced = clip.WithReduction(ModelReduction.Parse("vision=tome:r=3"));
        Assert.Equal(reduced.EncodeImage(Decode(image)), ServeHarness.Floats(body.GetProperty("data")[0].GetProperty("embedding")));
        Assert.Equal(clip.Vision.Tokens, dense.GetProperty("tokens_kept")[0].GetInt32());
        Assert.Equal(clip.Vision.Tokens - 2 * 3, body.GetProperty("tokens_kept")[0].GetInt32());
        Assert.True(body.GetProperty("gmacs").GetDouble() < dense.GetProperty("gmacs").GetDouble());
    }

    [Fact]
    public async Task ClassifyAnswersTheViTsTopClassesWithAndWithoutAReducer()
    {
        await using var server = await ServeHarness.StartAsync(models.Vit.Directory);
        var vit = VitModel.Load(models.Vit.Directory);
        string image = ServeHarness.Png(2);
        foreach (string? spec in new[] { null, "tome:r=2" })
        {
            var (status, body, _) = await server.PostAsync("/v1/classify", new { image, top = 3, reducer = spec });
            Assert.Equal(HttpStatusCode.OK, status);
            var expected = (spec == null ? vit : vit.WithReduction(ModelReduction.Parse(spec))).Classify(Decode(image), 3);
            var got = body.GetProperty("predictions").EnumerateArray().ToArray();
            Assert.Equal(expected.Select(p => p.Label), got.Select(p => p.GetProperty("label").GetString()));
            Assert.Equal(expected.Select(p => p.Index), got.Select(p => p.GetProperty("index").GetInt32()));
            Assert.Equal(expected.Select(p => p.Probability), got.Select(p => p.GetProperty("probability").GetSingle()));
        }
        // ViT features through the embeddings endpoint.
        var (_, embedded, _) = await server.PostAsync("/v1/embeddings", new { input = image });
        Assert.Equal(vit.EncodeImage(Decode(image)), ServeHarness.Floats(embedded.GetProperty("data")[0].GetProperty("embedding")));
    }

    [Fact]
    public async Task ZeroShotAndVqaAnswerWhatTheLibraryAnswers()
    {
        string image = ServeHarness.Png(3);
        await using (var server = await ServeHarness.StartAsync(models.Clip.Directory))
        {
            var clip = ClipModel.Load(models.Clip.Directory);
            string[] labels = ["cat", "dog", "car"], templates = ["a photo of a {}.", "a {}"];
            var (status, body, _) = await server.PostAsync("/v1/zeroshot", new { image, labels, templates, top = 2 });
            Assert.Equal(HttpStatusCode.OK, status);
            var expected = clip.ZeroShot(labels, templates).Classify(Decode(image), 2);
            var got = body.GetProperty("predictions").EnumerateArray().ToArray();
            Assert.Equal(expected.Select(p => p.Label), got.Select(p => p.GetProperty("label").GetString()));
            Assert.Equal(expected.Select(p => p.Probability), got.Select(p => p.GetProperty("probability").GetSingle()));
        }
        await using (var server = await ServeHarness.StartAsync(models.Vilt.Directory))
        {
            var vilt = ViltModel.Load(models.Vilt.Directory);
            var (status, body, _) = await server.PostAsync("/v1/vqa", new { image, question = "what is on the mat", top = 3 });
            Assert.Equal(HttpStatusCode.OK, status);
            var expected = vilt.Answer(Decode(image), "what is on the mat", 3);
            var got = body.GetProperty("answers").EnumerateArray().ToArray();
            Assert.Equal(expected.Select(p => p.Label), got.Select(p => p.GetProperty("answer").GetString()));
            Assert.Equal(expected.Select(p => p.Probability), got.Select(p => p.GetProperty("score").GetSingle()));
        }
    }

    [Fact]
    public async Task ConcurrentRequestsAreCoalescedIntoBatchesWithSingleCallResults()
    {
        var settings = ServeHarness.Defaults with { MaxBatch = 16, MaxWait = TimeSpan.FromMilliseconds(500) };
        await using var server = await ServeHarness.StartAsync(models.Clip.Directory, settings);
        var clip = ClipModel.Load(models.Clip.Directory);
        var images = Enumerable.Range(10, 12).Select(seed => ServeHarness.Png(seed)).ToArray();
        var answers = await Task.WhenAll(images.Select(image => server.PostAsync("/v1/embeddings", new { input = image })));
        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(HttpStatusCode.OK, answers[i].Status);
            Assert.Equal(clip.EncodeImage(Decode(images[i])), ServeHarness.Floats(answers[i].Body.GetProperty("data")[0].GetProperty("embedding")));
        }
        // 12 inputs ran in fewer than 12 batches: some batch held more than one request's input.
        Assert.Equal(12, await server.MetricAsync("sieve_batch_size_sum"));
        Assert.True(await server.MetricAsync("sieve_batch_size_count") < 12);
        Assert.Equal(0, await server.MetricAsync("sieve_queue_depth"));
    }

    [Fact]
    public async Task ARequestThatDoesNotFitTheQueueGets429WithRetryAfterAndTakesNoRoom()
    {
        await using var server = await ServeHarness.StartAsync(models.Clip.Directory, ServeHarness.Defaults with { QueueCapacity = 2 });
        var (status, body, response) = await server.PostAsync("/v1/embeddings", new { input = new[] { "a", "b", "c" } });
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        Assert.Equal("rate_limit_exceeded", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("queue is full", body.GetProperty("error").GetProperty("message").GetString());
        (status, _, _) = await server.PostAsync("/v1/embeddings", new { input = new[] { "a", "b" } });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, await server.MetricAsync("sieve_requests_total{endpoint=\"/v1/embeddings\",status=\"429\"}"));
    }

    [Fact]
    public async Task ARequestPastItsTimeoutGets504()
    {
        // The batch waits 5 s to fill; the request gives up after 100 ms.
        var settings = ServeHarness.Defaults with { MaxWait = TimeSpan.FromSeconds(5), RequestTimeout = TimeSpan.FromMilliseconds(100) };
        await using var server = await ServeHarness.StartAsync(models.Clip.Directory, settings);
        var (status, body, _) = await server.PostAsync("/v1/embeddings", new { input = "a cat" });
        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Contains("100 ms", body.GetProperty("error").GetProperty("message").GetString());
    }

    public static TheoryData<string, string, string> BadRequests()
    {
        string image = ServeHarness.Png(4);
        string Json(object o) => JsonSerializer.Serialize(o);
        var truncated = ServeHarness.PngBytes(4);
        return new()
        {
            { "/v1/embeddings", "{\"input\": ", "malformed JSON" },
            { "/v1/embeddings", "[1, 2]", "must be a JSON object, got array" },
            { "/v1/embeddings", "{}", "input: required" },
            { "/v1/embeddings", Json(new { input = 5 }), "input: expected a string or an array of strings, got number" },
            { "/v1/embeddings", Json(new { input = new object[] { "a", 3 } }), "input[1]: expected a string, got number" },
            { "/v1/embeddings", Json(new { input = "data:image/png;base64,@@@" }), "not valid base64" },
            { "/v1/embeddings", Json(new { input = "data:image/png,abc" }), "must be base64-encoded" },
            { "/v1/embeddings", Json(new { input = "data:image/png;base64," + Convert.ToBase64String("hello, world"u8.ToArray()) }), "not a supported image" },
            { "/v1/embeddings", Json(new { input = "data:image/png;base64," + Convert.ToBase64String(truncated[..(truncated.Length / 2)]) }), "input:" },
            { "/v1/embeddings", Json(new { input = ServeHarness.Png(4, 300, 20) }), "300×20 px; the server takes at most 256" },
            { "/v1/embeddings", Json(new { input = "a cat", encoding_format = "int8" }), "encoding_format: expected float or base64" },
            { "/v1/embeddings", Json(new { input = "a cat", reducer = "tome:r=banana" }), "reducer: " },
            { "/v1/embeddings", Json(new { input = image, reducer = "vision=tome:r=40" }), "reducer: " },
            { "/v1/classify", Json(new { image }), "this server runs a Clip model ('tiny'); /v1/classify needs a timm ViT" },
            { "/v1/vqa", Json(new { image, question = "what" }), "/v1/vqa needs a ViLT" },
            { "/v1/zeroshot", Json(new { labels = new[] { "cat" } }), "image: required" },
            { "/v1/zeroshot", Json(new { image, labels = Array.Empty<string>() }), "labels: expected an array of strings" },
            { "/v1/zeroshot", Json(new { image, labels = new[] { "cat", "cat" } }), "'cat' is given 2 times" },
            { "/v1/zeroshot", Json(new { image, labels = new[] { "cat" }, top = 0 }), "top: expected an integer from 1 to 1000, got 0" },
            { "/v1/zeroshot", Json(new { image, labels = new[] { "cat" }, templates = new[] { "no slot" } }), "no {} placeholder" },
        };
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInputGets400NamingTheProblem(string path, string body, string expected)
    {
        await using var server = await ServeHarness.StartAsync(models.Clip.Directory);
        var (status, answer, _) = await server.PostAsync(path, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = answer.GetProperty("error");
        Assert.Contains(expected, error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        // The server goes on answering.
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync("/v1/embeddings", new { input = "a cat" })).Status);
    }

    [Fact]
    public async Task ABodyPastTheLimitGets413()
    {
        await using var server = await ServeHarness.StartAsync(models.Clip.Directory);
        var (status, body, _) = await server.PostAsync("/v1/embeddings", new { input = new string('a', 2 << 20) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than the server's limit", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task HealthzAndPrometheusMetricsReportTheServer()
    {
        await using var server = await ServeHarness.StartAsync(models.Clip.Directory, reducer: "vision=tome:r=2");
        var health = JsonDocument.Parse(await server.Client.GetStringAsync("/healthz")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("vision=tome:r=2", health.GetProperty("reducer").GetString());
        var (_, body, _) = await server.PostAsync("/v1/embeddings", new { input = new[] { ServeHarness.Png(5), "a cat" } });
        var metrics = await server.Client.GetAsync("/metrics");
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, await server.MetricAsync("sieve_requests_total{endpoint=\"/v1/embeddings\",status=\"200\"}"));
        Assert.Equal(1, await server.MetricAsync("sieve_request_duration_seconds_count{endpoint=\"/v1/embeddings\"}"));
        Assert.Equal(2, await server.MetricAsync("sieve_batch_size_sum"));
        Assert.Equal(0, await server.MetricAsync("sieve_queue_depth"));
        Assert.Equal(0, await server.MetricAsync("sieve_requests_in_flight"));
        Assert.Equal(2, await server.MetricAsync("sieve_tokens_kept_count{task=\"embeddings\"}"));
        Assert.Equal(body.GetProperty("tokens_kept").EnumerateArray().Sum(t => t.GetInt32()), await server.MetricAsync("sieve_tokens_kept_sum{task=\"embeddings\"}"));
        Assert.Equal(body.GetProperty("gmacs").GetDouble(), await server.MetricAsync("sieve_gmacs_total{task=\"embeddings\"}"), 1e-9);
    }

    [Fact]
    public async Task StoppingAnswersEveryAcceptedRequestThenRefusesConnections()
    {
        // A batch that would wait ten minutes to fill: every request is surely in flight when the stop comes, and
        // only the stop's drain (not the wait) can answer them before their 20 s timeout.
        var settings = ServeHarness.Defaults with { MaxWait = TimeSpan.FromMinutes(10), RequestTimeout = TimeSpan.FromSeconds(20) };
        var server = await ServeHarness.StartAsync(models.Clip.Directory, settings);
        var clip = ClipModel.Load(models.Clip.Directory);
        var texts = Enumerable.Range(0, 6).Select(i => $"a photo of {i} cats").ToArray();
        var pending = texts.Select(text => server.PostAsync("/v1/embeddings", new { input = text })).ToArray();
        await server.UntilAsync("sieve_requests_in_flight", texts.Length);
        await server.StopAsync(); // returns once every accepted request is answered
        for (int i = 0; i < texts.Length; i++)
        {
            var (status, body, _) = await pending[i];
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(clip.EncodeText(texts[i]), ServeHarness.Floats(body.GetProperty("data")[0].GetProperty("embedding")));
        }
        await Assert.ThrowsAsync<HttpRequestException>(() => server.Client.GetAsync("/healthz"));
        await server.DisposeAsync();
    }
}
