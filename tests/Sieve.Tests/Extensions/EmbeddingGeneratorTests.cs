using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Sieve.Data;
using Sieve.Extensions.AI;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Data;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Extensions;

/// <summary>Microsoft.Extensions.AI generators over a generated CLIP: the model's own vectors, batched, concurrent, cancellable.</summary>
public sealed class EmbeddingGeneratorTests : IDisposable
{
    readonly TinyCheckpoint _ck = TinyModels.Clip(91, DType.F32);

    public EmbeddingGeneratorTests() => TinyClipVocab.WriteTo(_ck.Directory);

    public void Dispose() => _ck.Dispose();

    static readonly string[] Texts = ["a cat", "a dog on a mat", "the cat and the dog", "two dogs"];

    static byte[] Png(int seed)
    {
        var samples = new byte[40 * 40 * 3];
        new Random(seed).NextBytes(samples);
        return TestPng.Encode(40, 40, TestPng.ColorType.Rgb, samples);
    }

    /// <summary>v ÷ |v| in double, written out here.</summary>
    static double[] Unit(float[] v)
    {
        double norm = Math.Sqrt(v.Sum(x => (double)x * x));
        return v.Select(x => x / norm).ToArray();
    }

    static void AssertClose(double[] expected, ReadOnlyMemory<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual.Span[i], 1e-6);
    }

    [Fact]
    public async Task TextAndImageVectorsAreTheModelsOwnNormalisedInOrder()
    {
        var clip = ClipModel.Load(_ck.Directory);
        using var text = new TextEmbeddingGenerator(clip, "tiny-clip");
        using var image = new ImageEmbeddingGenerator(clip, "tiny-clip");
        var texts = await text.GenerateAsync(Texts);
        Assert.Equal(Texts.Length, texts.Count);
        for (int i = 0; i < Texts.Length; i++) AssertClose(Unit(clip.EncodeText(Texts[i])), texts[i].Vector);
        Assert.All(texts, e => Assert.Equal("tiny-clip", e.ModelId));

        byte[][] pngs = [Png(1), Png(2), Png(3)];
        var images = await image.GenerateAsync(pngs.Select(p => new DataContent(p, "image/png")));
        for (int i = 0; i < pngs.Length; i++) AssertClose(Unit(clip.EncodeImage(ImageDecoder.Decode(pngs[i], "png"))), images[i].Vector);

        // Unnormalised on request, and a reducer runs inside: the reduced model's own vector.
        var options = new SieveEmbeddingOptions { Normalize = false, Reduction = ModelReduction.Parse("vision=tome:r=3") };
        using var reduced = new ImageEmbeddingGenerator(clip, "tiny-clip", options);
        var raw = await reduced.GenerateAsync([new DataContent(pngs[0], "image/png")]);
        var expected = clip.WithReduction(options.Reduction).EncodeImage(ImageDecoder.Decode(pngs[0], "png"));
        Assert.Equal(expected, raw[0].Vector.ToArray());
        Assert.NotEqual(clip.EncodeImage(ImageDecoder.Decode(pngs[0], "png")), expected);
    }

    [Fact]
    public async Task ABatchConcurrentCallersAndSingleCallsGiveTheSameVectors()
    {
        using var text = new TextEmbeddingGenerator(ClipModel.Load(_ck.Directory), "tiny-clip");
        var batch = await text.GenerateAsync(Texts);
        var singles = new List<float[]>();
        foreach (string t in Texts) singles.Add((await text.GenerateAsync([t]))[0].Vector.ToArray());
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(k => text.GenerateAsync(Texts.Skip(k % Texts.Length).Take(1))));
        for (int i = 0; i < Texts.Length; i++) Assert.Equal(singles[i], batch[i].Vector.ToArray());
        for (int k = 0; k < 8; k++) Assert.Equal(singles[k % Texts.Length], concurrent[k][0].Vector.ToArray());
    }

    [Fact]
    public async Task CancellationBadInputAndMetadata()
    {
        var clip = ClipModel.Load(_ck.Directory);
        using var image = new ImageEmbeddingGenerator(clip, "tiny-clip");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => image.GenerateAsync([new DataContent(Png(1), "image/png")], cancellationToken: cancelled.Token));
        var wrongType = await Assert.ThrowsAsync<ArgumentException>(() => image.GenerateAsync([new DataContent(Png(1), "image/png"), new DataContent(Png(1), "text/plain")]));
        Assert.Contains("image 1 has media type 'text/plain', not image/", wrongType.Message);
        await Assert.ThrowsAsync<SieveFormatException>(() => image.GenerateAsync([new DataContent(new byte[] { 1, 2, 3 }, "image/png")]));
        await Assert.ThrowsAsync<ArgumentException>(() => image.GenerateAsync([new DataContent(Png(1), "image/png")], new EmbeddingGenerationOptions { Dimensions = 7 }));

        var metadata = (EmbeddingGeneratorMetadata)image.GetService(typeof(EmbeddingGeneratorMetadata))!;
        Assert.Equal(("Sieve", "tiny-clip", TinyModels.ClipProjection), (metadata.ProviderName, metadata.DefaultModelId, metadata.DefaultModelDimensions));
        Assert.Same(image, image.GetService(typeof(IEmbeddingGenerator<DataContent, Embedding<float>>)));
        Assert.Null(image.GetService(typeof(string)));
    }

    [Fact]
    public async Task AddSieveClipRegistersBothGeneratorsInOneSpace()
    {
        var services = new ServiceCollection().AddSieveClip(_ck.Directory, new SieveEmbeddingOptions { Reduction = ModelReduction.Parse("vision=tome:r=2") });
        using var provider = services.BuildServiceProvider();
        var text = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var image = provider.GetRequiredService<IEmbeddingGenerator<DataContent, Embedding<float>>>();
        var t = await text.GenerateAsync(["a cat"]);
        var i = await image.GenerateAsync([new DataContent(Png(5), "image/png")]);
        Assert.Equal(t[0].Vector.Length, i[0].Vector.Length);
        Assert.Equal(Path.GetFileName(_ck.Directory), text.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
    }
}
