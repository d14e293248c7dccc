using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.VectorData;
using Sieve.Data;
using Sieve.Extensions.AI;
using Sieve.Models;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;

namespace Sieve.Tests.Extensions;

/// <summary>
/// The generators as Microsoft.Extensions.VectorData code uses them: COCO-mini's images indexed through the image
/// generator into a collection, searched by caption through the text generator (a random tiny CLIP: what is checked
/// is the plumbing, and that the ranking is the model's own cosine ranking, not that it is any good).
/// </summary>
public sealed class VectorCollectionTests
{
    /// <summary>A COCO image as a VectorData record (the attributes a connector reads).</summary>
    public sealed class CocoImage
    {
        [VectorStoreKey] public string Id { get; set; } = "";
        [VectorStoreData] public string File { get; set; } = "";
        [VectorStoreVector(64, DistanceFunction = DistanceFunction.CosineSimilarity)] public ReadOnlyMemory<float> Vector { get; set; }
    }

    [SharedDataFact]
    public async Task CocoMiniImagesIndexedByTheImageGeneratorAreFoundByTheTextGeneratorInCosineOrder_SharedData()
    {
        using var folder = new TempFolder();
        string model = folder.File("clip");
        RandomModelFolder.Write(ModelFamily.Clip, RandomModelSize.Tiny, model);
        var coco = new[] { "val", "train" }.Select(split =>
            ImageCaptions.Load(SharedData.Path("data", "coco-mini", "annotations", $"captions_{split}2017.json"))).ToArray();
        string[] images = [.. coco.SelectMany(set => set.Images)];
        string[] queries = [.. Enumerable.Range(0, 4).Select(i => coco[0].Captions[i * 50])];

        using var services = new ServiceCollection().AddSieveClip(model).BuildServiceProvider();
        var imageGenerator = services.GetRequiredService<IEmbeddingGenerator<DataContent, Embedding<float>>>();
        using var collection = new InMemoryVectorCollection<CocoImage>("coco-mini", r => r.Id, r => r.Vector,
            services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        await collection.EnsureCollectionExistsAsync();
        foreach (var batch in images.Chunk(32))
        {
            var vectors = await imageGenerator.GenerateAsync(batch.Select(path => new DataContent(File.ReadAllBytes(path), "image/jpeg")));
            await collection.UpsertAsync(batch.Select((path, i) => new CocoImage { Id = Path.GetFileName(path), File = path, Vector = vectors[i].Vector }));
        }
        Assert.Equal(159, images.Length);
        Assert.Equal(images[100], (await collection.GetAsync(Path.GetFileName(images[100])))!.File);

        // The reference: the model's own vectors, ranked by a float64 cosine written out here.
        var clip = ClipModel.Load(model);
        var imageVectors = images.Select(path => clip.EncodeImage(ImageDecoder.Decode(path))).ToArray();
        const int top = 10;
        foreach (string query in queries)
        {
            var text = clip.EncodeText(query);
            var expected = images.Select((path, i) => (File: path, Score: Ref64.Cosine(text, imageVectors[i])))
                .OrderByDescending(r => r.Score).Take(top).ToArray();
            var found = await collection.SearchAsync(query, top).ToListAsync();
            Assert.Equal(top, found.Count);
            for (int rank = 0; rank < top; rank++)
            {
                // Rank by rank the same score (1e-5: float32 forwards); the file's own reference score, so a tie within
                // the tolerance may come in either order but a wrong vector or a wrong order cannot pass.
                Assert.Equal(expected[rank].Score, found[rank].Score!.Value, 1e-5);
                int index = Array.IndexOf(images, found[rank].Record.File);
                Assert.Equal(Ref64.Cosine(text, imageVectors[index]), found[rank].Score!.Value, 1e-5);
            }
        }
    }
}
