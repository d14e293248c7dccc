using System.Net;
using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Tests.Serve;

/// <summary>
/// <c>/v1/zeroshot</c>'s label-embedding cache: answers are the same with and without it (and the library's), a label
/// set is encoded once while kept, a reducer spec keys its own entry, and the cache never holds more than its capacity.
/// </summary>
public sealed class LabelCacheTests(ServeModels models) : IClassFixture<ServeModels>
{
    static RgbImage Decode(string dataUrl) => ImageDecoder.Decode(Convert.FromBase64String(dataUrl[(dataUrl.IndexOf(',') + 1)..]), "png");

    [Fact]
    public async Task RepeatedLabelsAreServedFromABoundedCacheWithTheSameAnswers()
    {
        await using var cached = await ServeHarness.StartAsync(models.Clip.Directory, ServeHarness.Defaults with { LabelCache = 2 });
        await using var uncached = await ServeHarness.StartAsync(models.Clip.Directory, ServeHarness.Defaults with { LabelCache = 0 });
        var clip = ClipModel.Load(models.Clip.Directory);
        string[] a = ["cat", "dog"], b = ["car", "sofa"], c = ["cat", "car", "dog"];
        string[] templates = ["a photo of a {}."];
        // (labels, reducer, kept before this request): A misses, A hits, A under a text reducer misses (its own key),
        // B misses and drops the least recently used (plain A), C drops A-reduced, A misses again, C hits.
        var steps = new (string[] Labels, string Reducer, bool Kept)[]
        {
            (a, "none", false), (a, "none", true), (a, "text=tome:r=1", false), (b, "none", false), (c, "none", false), (a, "none", false), (c, "none", true),
        };
        for (int i = 0; i < steps.Length; i++)
        {
            var (labels, reducer, kept) = steps[i];
            string image = ServeHarness.Png(40 + i);
            var request = new { image, labels, templates, reducer };
            var (status, withCache, _) = await cached.PostAsync("/v1/zeroshot", request);
            Assert.Equal(HttpStatusCode.OK, status);
            var (_, withoutCache, _) = await uncached.PostAsync("/v1/zeroshot", request);
            Assert.Equal(withoutCache.GetProperty("predictions").GetRawText(), withCache.GetProperty("predictions").GetRawText());
            var expected = clip.WithReduction(ModelReduction.Parse(reducer)).ZeroShot(labels, templates).Classify(Decode(image));
            Assert.Equal(expected.Select(p => p.Probability), withCache.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("probability").GetSingle()));
            Assert.True(kept == withCache.GetProperty("prompts_cached").GetBoolean(), $"step {i}");
            Assert.False(withoutCache.GetProperty("prompts_cached").GetBoolean());
            Assert.Equal(kept, withCache.GetProperty("prompt_gmacs").GetDouble() == 0);
            Assert.True(await cached.MetricAsync("sieve_label_cache_entries") <= 2);
        }
        Assert.Equal(2, await cached.MetricAsync("sieve_label_cache_total{result=\"hit\"}"));
        Assert.Equal(5, await cached.MetricAsync("sieve_label_cache_total{result=\"miss\"}"));
        Assert.Equal(2, await cached.MetricAsync("sieve_label_cache_entries"));
        Assert.Equal(7, await uncached.MetricAsync("sieve_label_cache_total{result=\"miss\"}"));
        Assert.Equal(0, await uncached.MetricAsync("sieve_label_cache_entries"));
    }
}
