using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Eval;

/// <summary>
/// Evidence (<see cref="ITaskEvidence"/>) collected on consecutive parts of a task's items, written to a file, read back
/// and joined, is the evidence of the whole task, every value bit for bit — what makes <c>eval --merge</c> exact.
/// </summary>
public sealed class TaskEvidenceTests
{
    static readonly ModelReduction[] Reducers = [ModelReduction.Parse("tome:r=3"), ModelReduction.Parse("vision=crossget:r=4;text=tome:r=2")];

    /// <summary>Each part (start, end) of <paramref name="whole"/> collected on its own, through a file, then joined.</summary>
    static ITaskEvidence CollectedInParts(IEvidenceEvaluation whole, IReadOnlyList<ModelReduction> reductions, params (int Start, int End)[] parts)
    {
        using var temp = new TempFolder();
        var read = parts.Select((part, p) =>
        {
            var evidence = ((IEvidenceEvaluation)whole.Subset([.. Enumerable.Range(part.Start, part.End - part.Start)])).Collect(reductions);
            string file = temp.File($"part{p}.safetensors");
            TaskEvidence.Write(evidence, new SafetensorsWriter()).Save(file);
            using var tensors = SafetensorsFile.Open(file);
            return TaskEvidence.Read(whole.Task, tensors);
        }).ToArray();
        return TaskEvidence.Join(read);
    }

    [Fact]
    public void RetrievalEvidenceOfPartsJoinsIntoTheWholes()
    {
        using var ck = TinyModels.Clip(5, DType.F32);
        var clip = ClipModel.Load(ck.Directory);
        var random = new Random(1);
        int size = TinyModels.ClipImage;
        var images = Enumerable.Range(0, 5).Select(_ => TowerInput.Image(Enumerable.Range(0, 3 * size * size).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray(), size)).ToArray();
        var texts = Enumerable.Range(0, 9).Select(_ => TowerInput.Text([1, .. Enumerable.Range(0, random.Next(2, 8)).Select(_ => random.Next(3, TinyModels.ClipVocab)), 2])).ToArray();
        // Texts interleaved over the images: a part's texts are scattered through the whole's.
        var evaluation = new RetrievalEvaluation(clip, images, texts, [0, 1, 2, 3, 4, 0, 2, 4, 1]);

        var whole = evaluation.Collect(Reducers);
        var joined = (RetrievalEvidence)CollectedInParts(evaluation, Reducers, (0, 2), (2, 3), (3, 5));
        Assert.Equal(whole.Reducers, joined.Reducers);
        Assert.Equal(whole.ImageOfText, joined.ImageOfText);
        Assert.Equal(Enumerable.Range(0, 9), joined.TextIds);
        for (int s = 0; s <= Reducers.Length; s++)
        {
            Assert.Equal(whole.ImageEmbeddings[s], joined.ImageEmbeddings[s]);
            Assert.Equal(whole.TextEmbeddings[s], joined.TextEmbeddings[s]);
            Assert.Equal(whole.ImageMacs[s], joined.ImageMacs[s]);
            Assert.Equal(whole.TextMacs[s], joined.TextMacs[s]);
        }
        Assert.Equal(whole.Results(), joined.Results());
        Assert.Equal(evaluation.Evaluate(Reducers), joined.Results());
    }

    [Fact]
    public void ClassifierEvidenceOfPartsJoinsIntoTheWholesWithTheReferenceAnswers()
    {
        using var ck = TinyModels.Vit(31, DType.F32);
        using var other = TinyModels.Vit(32, DType.F32);
        var vit = VitModel.Load(ck.Directory);
        var random = new Random(4);
        int pixels = 3 * vit.Config.ImageSize * vit.Config.ImageSize;
        var inputs = Enumerable.Range(0, 7).Select(_ => Enumerable.Range(0, pixels).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray()).ToArray();
        // Another model as the agreement reference, so that the reference's answers are evidence of their own.
        var evaluation = new ClassifierEvaluation(vit, inputs, [0, 1, 2, 0, 1, 2, 0]) { Reference = VitModel.Load(other.Directory) };
        var reductions = Reducers.Take(1).ToArray();

        var whole = evaluation.Collect([.. reductions.Select(r => r.Vision)]);
        var joined = (ClassifierEvidence)CollectedInParts(evaluation, reductions, (0, 3), (3, 4), (4, 7));
        Assert.Equal(whole.Labels, joined.Labels);
        Assert.NotNull(whole.ReferenceTop1);
        Assert.Equal(whole.ReferenceTop1, joined.ReferenceTop1);
        Assert.Equal(whole.Top5, joined.Top5);
        Assert.Equal(whole.Macs, joined.Macs);
        Assert.Equal(whole.Results(), joined.Results());
    }
}
