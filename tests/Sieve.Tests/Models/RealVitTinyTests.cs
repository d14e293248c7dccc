using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Tests.Support;
using Xunit.Abstractions;

namespace Sieve.Tests.Models;

/// <summary>
/// The real timm ViT-Tiny/16 on the 500 dev ImageNet images against the float64 reference logits in
/// ../shared/data/imagenet-sample-dev-reference.json (made with Pillow/libjpeg-turbo decoding; Sieve
/// decodes with stb, whose chroma upsampling moves pixels by a few levels, hence the tolerances).
/// </summary>
public class RealVitTinyTests(ITestOutputHelper output)
{
    // Stated tolerances: mean |Δlogit| over all 500 × 1000 logits, and the worst single image's max |Δlogit|.
    const double MeanAbsTolerance = 0.02, MaxAbsTolerance = 0.5;

    [SharedDataFact]
    public void ReproducesFloat64ReferenceOnDevImages_SharedData()
    {
        var model = VitModel.Load(SharedData.Path("models", "vit-tiny-patch16-224"));
        using var reference = JsonDocument.Parse(File.ReadAllBytes(SharedData.Path("data", "imagenet-sample-dev-reference.json")));
        var images = reference.RootElement.GetProperty("images").EnumerateArray().ToArray();
        Assert.Equal(500, images.Length);

        var results = new (int Agree, int Correct, double SumAbs, double MaxAbs)[images.Length];
        Parallel.For(0, images.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var item = images[i];
            var want = item.GetProperty("logits").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var image = ImageDecoder.Decode(SharedData.Path("data", "imagenet-sample-dev", item.GetProperty("file").GetString()!));
            var got = model.Logits(model.Preprocess(image));
            double sum = 0, max = 0;
            for (int c = 0; c < want.Length; c++)
            {
                double e = Math.Abs(got[c] - want[c]);
                sum += e;
                max = Math.Max(max, e);
            }
            int top = ArgMax(got);
            results[i] = (top == ArgMax(want) ? 1 : 0, top == item.GetProperty("label").GetInt32() ? 1 : 0, sum, max);
        });

        double agreement = results.Average(r => r.Agree);
        double accuracy = results.Average(r => r.Correct);
        double meanAbs = results.Sum(r => r.SumAbs) / (images.Length * 1000.0);
        double worst = results.Max(r => r.MaxAbs);
        output.WriteLine($"top-1 agreement with reference {agreement:P1}, top-1 accuracy {accuracy:P1} (reference 82.6%), mean |Δlogit| {meanAbs:F4}, worst image max |Δlogit| {worst:F3}");
        Assert.True(agreement >= 0.99, $"top-1 agreement {agreement:P1} < 99%");
        Assert.True(meanAbs <= MeanAbsTolerance, $"mean |Δlogit| {meanAbs:F4} > {MeanAbsTolerance}");
        Assert.True(worst <= MaxAbsTolerance, $"worst |Δlogit| {worst:F3} > {MaxAbsTolerance}");
        Assert.InRange(accuracy, 0.81, 0.84);
    }

    static int ArgMax(IReadOnlyList<float> x) => Enumerable.Range(0, x.Count).MaxBy(i => x[i]);
    static int ArgMax(IReadOnlyList<double> x) => Enumerable.Range(0, x.Count).MaxBy(i => x[i]);
}
