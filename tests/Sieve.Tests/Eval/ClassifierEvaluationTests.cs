using Sieve.Nn;
using System.Text.Json;
using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Data;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Eval;

/// <summary>Evaluation streams a folder in chunks: the numbers must not depend on the chunk size.</summary>
public sealed class ClassifierEvaluationTests : IDisposable
{
    readonly TempFolder _temp = new("sieve-eval-");

    public void Dispose() => _temp.Dispose();

    /// <summary>Seven random images named WNID_k.png over the tiny ViT's classes, with classes.json.</summary>
    string WriteDataset()
    {
        string dir = Path.Combine(_temp.Path, "data");
        Directory.CreateDirectory(dir);
        for (int i = 0; i < 7; i++)
        {
            var samples = new byte[40 * 40 * 3];
            new Random(200 + i).NextBytes(samples);
            File.WriteAllBytes(Path.Combine(dir, $"n{i % TinyModels.VitClasses:D3}_{i}.png"), TestPng.Encode(40, 40, TestPng.ColorType.Rgb, samples));
        }
        File.WriteAllText(Path.Combine(dir, "classes.json"), JsonSerializer.Serialize(new { wnids = Enumerable.Range(0, TinyModels.VitClasses).Select(i => $"n{i:D3}") }));
        return dir;
    }

    [Fact]
    public void ChunkSizesOneThreeAndAllGiveTheSameResultsAsCountingEachImage()
    {
        using var ck = TinyModels.Vit(81, DType.F32);
        var model = VitModel.Load(ck.Directory);
        var data = ImageFolderDataset.Load(WriteDataset());
        ReducerSpec[] specs = [ReducerSpec.Parse("tome:r=7"), ReducerSpec.Parse("crossget:r=7"), ReducerSpec.None];
        var evaluation = new ClassifierEvaluation(model, data);

        // Independently: every image's top-5 for each spec, counted here.
        int n = data.Files.Count;
        var inputs = data.Files.Select(f => model.Preprocess(ImageDecoder.Decode(f))).ToArray();
        int[] Top(float[] logits) => Enumerable.Range(0, logits.Length).OrderByDescending(k => logits[k]).ThenBy(k => k).Take(5).ToArray();
        var dense = inputs.Select(x => Top(model.Logits(x))[0]).ToArray();
        var expected = new[] { ReducerSpec.None }.Concat(specs).Select(spec =>
        {
            var reducer = spec.Bind(model.Info);
            var traces = inputs.Select(_ => new ForwardTrace()).ToArray();
            var tops = inputs.Select((x, i) => Top(model.Logits(x, BlockHook.Combine(reducer, traces[i])))).ToArray();
            return new EvalResult(spec.ToString(), n,
                Enumerable.Range(0, n).Count(i => tops[i][0] == data.Labels[i]) / (double)n,
                Enumerable.Range(0, n).Count(i => tops[i].Contains(data.Labels[i])) / (double)n,
                Enumerable.Range(0, n).Count(i => tops[i][0] == dense[i]) / (double)n,
                traces.Sum(t => t.Macs) / (double)n / 1e9);
        }).ToArray();
        Assert.Contains(expected, r => r.Agreement < 1); // the case must be able to tell agreement from top-1 bookkeeping

        foreach (int chunk in new[] { 1, 3, n })
            Assert.Equal(expected, evaluation.Evaluate(specs, chunkSize: chunk));
        Assert.Equal(expected, new ClassifierEvaluation(model, inputs, data.Labels).Evaluate(specs, chunkSize: 2));
    }

    [Fact]
    public void TimingRunsDenseAndEveryReducerAndSpeedUpIsAgainstDense()
    {
        using var ck = TinyModels.Vit(82, DType.F32);
        var model = VitModel.Load(ck.Directory);
        var evaluation = new ClassifierEvaluation(model, ImageFolderDataset.Load(WriteDataset()), count: 4);
        ReducerSpec[] specs = [ReducerSpec.Parse("tome:r=0"), ReducerSpec.Parse("tome:r=3")];
        int rounds = 0;
        var timings = evaluation.Time(specs, null, images: 2, warmupRounds: 1, rounds: 2, () => rounds++);
        Assert.Equal(3, timings.Count);
        Assert.Equal(1 + InterleavedTiming.TimedRounds(3, 2), rounds);
        Assert.All(timings, t => Assert.Equal(3, t.Milliseconds.Count));
        var results = ClassifierEvaluation.WithSpeed(evaluation.Evaluate(specs), timings, 2);
        Assert.Equal(1.0, results[0].SpeedUp);
        Assert.Equal(timings[0].Median / timings[2].Median, results[2].SpeedUp);
        Assert.Equal(2 * 1000 / timings[1].Median, results[1].ImagesPerSecond);
    }
}
