using System.Net;
using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Models.Generation;
using Sieve.Reduction;
using Sieve.Tests.Support;

namespace Sieve.Tests.Serve;

/// <summary>Tiny generated BLIP captioning, VQA and retrieval folders, written once for the BLIP serve tests.</summary>
public sealed class BlipServeModels : IDisposable
{
    static void MaxLength(Dictionary<string, object> config, int maxLength) => ((Dictionary<string, object>)config["text_config"])["max_length"] = maxLength;

    public TinyCheckpoint Caption { get; } = TinyBlip.Write(141, architecture: BlipArchitecture.ConditionalGeneration, editConfig: c => MaxLength(c, 12));

    public TinyCheckpoint Vqa { get; } = TinyBlip.Write(142, new TinyBlip.Shape(TextWidth: 32, TextHeads: 4, TextHidden: 64),
        architecture: BlipArchitecture.QuestionAnswering, editConfig: c => MaxLength(c, 8));

    public TinyCheckpoint Retrieval { get; } = TinyBlip.Write(143);

    public void Dispose()
    {
        Caption.Dispose();
        Vqa.Dispose();
        Retrieval.Dispose();
    }
}

/// <summary>
/// <c>sieve serve</c> on BLIP folders: <c>/v1/caption</c>, <c>/v1/vqa</c> and <c>/v1/match</c> answer exactly what the
/// library answers (per-request reducer and decoding included), count the vision tower and the decoder in their GMACs,
/// run micro-batched, are listed by <c>/healthz</c> for the folders that serve them, and refuse what a folder cannot do.
/// </summary>
public sealed class BlipServeTests(BlipServeModels models) : IClassFixture<BlipServeModels>
{
    static RgbImage Decode(string dataUrl) => ImageDecoder.Decode(Convert.FromBase64String(dataUrl[(dataUrl.IndexOf(',') + 1)..]), "png");

    static async Task<string[]> TasksAsync(ServeHarness server)
    {
        var health = JsonDocument.Parse(await server.Client.GetStringAsync("/healthz")).RootElement;
        return health.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()!).ToArray();
    }

    [Fact]
    public async Task CaptionIsTheLibrarysCaptionWithThePromptDecodingAndReducer()
    {
        await using var server = await ServeHarness.StartAsync(models.Caption.Directory);
        Assert.Equal(["caption"], await TasksAsync(server));
        var blip = BlipGenerator.Load(models.Caption.Directory);
        string image = ServeHarness.Png(21);

        var (status, body, _) = await server.PostAsync("/v1/caption", new { image });
        Assert.Equal(HttpStatusCode.OK, status);
        var ids = blip.Caption(blip.Preprocessor.Process(Decode(image)), blip.CaptionPrompt());
        Assert.Equal(blip.Caption(Decode(image)), body.GetProperty("caption").GetString());
        Assert.Equal(ids.Length, body.GetProperty("tokens").GetInt32());
        // Executed multiply-adds: the dense vision tower, then the decoder's projection of its 17 tokens and every step.
        Assert.Equal(17, body.GetProperty("tokens_kept").GetInt32());
        double expected = (blip.Vision.Macs + blip.Decoder.DecodeMacs(17, ids.Length)) / 1e9;
        Assert.Equal(expected, body.GetProperty("gmacs").GetDouble(), expected * 1e-12);

        // sieve caption's options and a per-request reducer: the reduced model's caption with those options.
        (status, body, _) = await server.PostAsync("/v1/caption", new
        {
            image, prompt = "a photo of", beams = 3, max_length = 10, min_length = 4, repetition_penalty = 1.2, reducer = "tome:r=2",
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var reduced = blip.WithReduction(ModelReduction.Parse("tome:r=2"));
        Assert.Equal(reduced.Caption(Decode(image), "a photo of", new GenerationOptions(10, 4, 3, 1.2f)), body.GetProperty("caption").GetString());
        Assert.Equal(17 - 2 * 2, body.GetProperty("tokens_kept").GetInt32());

        Assert.Equal(2, await server.MetricAsync("sieve_requests_total{endpoint=\"/v1/caption\",status=\"200\"}"));
        Assert.True(await server.MetricAsync("sieve_gmacs_total{task=\"caption\"}") > expected);
    }

    [Fact]
    public async Task ConcurrentCaptionsAreBatchedAndEachIsItsSingleCallsCaption()
    {
        var settings = ServeHarness.Defaults with { MaxWait = TimeSpan.FromMilliseconds(500) };
        await using var server = await ServeHarness.StartAsync(models.Caption.Directory, settings);
        var blip = BlipGenerator.Load(models.Caption.Directory);
        var images = Enumerable.Range(30, 8).Select(seed => ServeHarness.Png(seed)).ToArray();
        var answers = await Task.WhenAll(images.Select(image => server.PostAsync("/v1/caption", new { image })));
        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(HttpStatusCode.OK, answers[i].Status);
            Assert.Equal(blip.Caption(Decode(images[i])), answers[i].Body.GetProperty("caption").GetString());
        }
        Assert.Equal(8, await server.MetricAsync("sieve_batch_size_sum"));
        Assert.True(await server.MetricAsync("sieve_batch_size_count") < 8);
    }

    [Fact]
    public async Task VqaOnBlipIsTheLibrarysGeneratedAnswer()
    {
        await using var server = await ServeHarness.StartAsync(models.Vqa.Directory);
        Assert.Equal(["vqa"], await TasksAsync(server));
        string image = ServeHarness.Png(22), spec = "vision=tome:r=2;text=tome:r=1";
        var blip = BlipGenerator.Load(models.Vqa.Directory);
        var (status, body, _) = await server.PostAsync("/v1/vqa", new { image, question = "two cats on the sofa?", reducer = spec });
        Assert.Equal(HttpStatusCode.OK, status);
        string answer = blip.WithReduction(ModelReduction.Parse(spec)).Answer(Decode(image), "two cats on the sofa?");
        Assert.Equal(answer, body.GetProperty("answer").GetString());
        Assert.Equal(answer, body.GetProperty("answers")[0].GetProperty("answer").GetString());
        Assert.Equal(17 - 2 * 2, body.GetProperty("tokens_kept").GetInt32()); // the vision tower's, not the question's

        (status, body, _) = await server.PostAsync("/v1/vqa", new { image, question = "a dog?", beams = 2, max_length = 6 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(blip.Answer(Decode(image), "a dog?", new GenerationOptions(6, blip.Generation.MinLength, 2, blip.Generation.RepetitionPenalty, blip.Generation.LengthPenalty)),
            body.GetProperty("answer").GetString());
    }

    [Fact]
    public async Task MatchGivesTheLibrarysMatchingProbabilityAndCosinePerText()
    {
        await using var server = await ServeHarness.StartAsync(models.Retrieval.Directory);
        Assert.Equal(["match", "embeddings", "mergemap"], await TasksAsync(server));
        var blip = BlipModel.Load(models.Retrieval.Directory);
        string image = ServeHarness.Png(23);
        string[] texts = ["a cat on the sofa", "two dogs"];
        foreach (string spec in new[] { "none", "vision=tome:r=2;text=tome:r=1" })
        {
            var (status, body, _) = await server.PostAsync("/v1/match", new { image, text = texts, reducer = spec });
            Assert.Equal(HttpStatusCode.OK, status);
            var model = blip.WithReduction(ModelReduction.Parse(spec));
            var matches = body.GetProperty("matches").EnumerateArray().ToArray();
            Assert.Equal(texts, matches.Select(m => m.GetProperty("text").GetString()));
            for (int i = 0; i < texts.Length; i++)
            {
                var expected = model.Match(Decode(image), texts[i]);
                Assert.Equal(expected.MatchProbability, matches[i].GetProperty("probability").GetSingle());
                Assert.Equal(expected.ContrastiveScore, matches[i].GetProperty("contrastive").GetSingle());
            }
        }
        Assert.Equal(2, await server.MetricAsync("sieve_requests_total{endpoint=\"/v1/match\",status=\"200\"}"));
    }

    public static TheoryData<string, string, string, string> BadRequests()
    {
        string image = ServeHarness.Png(24);
        static string Json(object o) => JsonSerializer.Serialize(o);
        return new()
        {
            { "vqa", "/v1/caption", Json(new { image }), "is a BlipForQuestionAnswering: use /v1/vqa" },
            { "caption", "/v1/vqa", Json(new { image, question = "what?" }), "is a captioning one" },
            { "caption", "/v1/match", Json(new { image, text = "a cat" }), "/v1/match needs a BLIP retrieval model" },
            { "retrieval", "/v1/caption", Json(new { image }), "/v1/caption needs a BLIP captioning model" },
            { "caption", "/v1/caption", Json(new { image, max_length = 1 }), "max_length: expected an integer from 2 to 16" },
            { "caption", "/v1/caption", Json(new { image, max_length = 4, min_length = 5 }), "min_length: 5 is more than max_length 4" },
            { "caption", "/v1/caption", Json(new { image, prompt = "a photo of", max_length = 4 }), "max_length: the prompt has 4 tokens" },
            { "caption", "/v1/caption", Json(new { image, prompt = "a a a a a a a a a a a a a a a a" }), "prompt: the prompt has 17 tokens" },
            { "caption", "/v1/caption", Json(new { image, beams = 0 }), "beams: expected an integer from 1 to 64" },
            { "caption", "/v1/caption", Json(new { image, repetition_penalty = "high" }), "repetition_penalty: expected a number" },
            { "vqa", "/v1/vqa", Json(new { image }), "question: required" },
            { "retrieval", "/v1/match", Json(new { image }), "text: required" },
            { "retrieval", "/v1/match", Json(new { image, text = new[] { "a cat", "" } }), "text[1]: empty text" },
        };
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task WhatAFolderCannotAnswerIsA400NamingIt(string folder, string path, string body, string message)
    {
        string directory = folder switch { "caption" => models.Caption.Directory, "vqa" => models.Vqa.Directory, _ => models.Retrieval.Directory };
        await using var server = await ServeHarness.StartAsync(directory);
        var (status, answer, _) = await server.PostAsync(path, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, answer.GetProperty("error").GetProperty("message").GetString());
    }
}
