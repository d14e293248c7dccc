using System.Diagnostics;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Tensors;

/// <summary>
/// The per-operation profiler (<c>sieve bench --profile</c>): a profiled forward computes the same bits as an
/// unprofiled one, every operation kind a ViT forward runs gets time, the kinds partition the recorded time, and
/// no thread outside a profiled run records. Structure only: no time is asserted beyond "some" and "at most the
/// wall clock".
/// </summary>
[Collection(ThreadCountCollection.Name)] // two threads, so that parallel regions (and their hand-offs) happen
public class OpProfileTests
{
    static readonly OpKind[] DenseVitKinds =
    [
        OpKind.PatchEmbedding, OpKind.LayerNorm, OpKind.QkvProjection, OpKind.OutProjection, OpKind.AttentionScores, OpKind.Softmax,
        OpKind.AttentionValues, OpKind.Fc1, OpKind.Fc2, OpKind.Activation, OpKind.Residual, OpKind.HandOff, OpKind.Other,
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AProfiledVitForwardIsBitIdenticalAndEveryKindItRunsHasTime(bool reduced)
    {
        using var ck = TinyModels.Vit(61, DType.F32);
        var model = VitModel.Load(ck.Directory);
        var pixels = Rand.Uniform(new Random(3), 3 * TinyModels.VitImage * TinyModels.VitImage);
        TokenReducer? Reducer() => reduced ? new ToMeReducer(model.Info, MergeSchedule.Constant(2)) : null;
        var (plain, profiled, profile, wallTicks) = ThreadCountCollection.With(2, () =>
        {
            var plain = model.Logits(pixels, Reducer());
            var profile = new OpProfile();
            float[] profiled = null!;
            long start = Stopwatch.GetTimestamp();
            profile.Record(() => profiled = model.Logits(pixels, Reducer()));
            return (plain, profiled, profile, Stopwatch.GetTimestamp() - start);
        });

        Assert.Equal(plain, profiled); // exact: the profiler only reads the clock
        OpKind[] expected = reduced ? [.. DenseVitKinds, OpKind.Reducer] : DenseVitKinds;
        foreach (var kind in OpProfile.Kinds)
            if (expected.Contains(kind)) Assert.True(profile.Ticks(kind) > 0, $"{kind} recorded no time");
            else Assert.Equal(0, profile.Ticks(kind));
        long recorded = OpProfile.Kinds.Sum(profile.Ticks);
        Assert.InRange(recorded, 1, wallTicks); // nested operations are not counted twice
        if (!reduced) // every multiply-add of the dense forward but the classifier head's is credited to its kind
            Assert.Equal(model.Macs - TinyModels.VitWidth * TinyModels.VitClasses, OpProfile.Kinds.Sum(profile.Macs));
    }

    [Fact]
    public void EverySampleOfAProfiledBatchRecordsOnItsOwnThread()
    {
        using var ck = TinyModels.Vit(62, DType.F32);
        var model = VitModel.Load(ck.Directory);
        var images = Enumerable.Range(0, 4).Select(i => Rand.Uniform(new Random(i), 3 * TinyModels.VitImage * TinyModels.VitImage)).ToArray();
        var profile = new OpProfile();
        ThreadCountCollection.With(2, () =>
        {
            profile.Record(() => Threading.ForEachSample(images.Length, i => model.Logits(images[i])));
            return 0;
        });
        long patches = (TinyModels.VitImage / TinyModels.VitPatch) * (TinyModels.VitImage / TinyModels.VitPatch);
        Assert.Equal(images.Length * patches * 3 * TinyModels.VitPatch * TinyModels.VitPatch * TinyModels.VitWidth, profile.Macs(OpKind.PatchEmbedding));
        Assert.True(profile.Ticks(OpKind.Fc2) > 0);
    }

    [Fact]
    public void NothingRecordsOutsideARecordedRun()
    {
        var profile = new OpProfile();
        using (OpProfile.Time(OpKind.Fc1, 100)) Thread.SpinWait(1000); // no profile recording: not counted anywhere
        var other = new Thread(() =>
        {
            using var time = OpProfile.Time(OpKind.Fc2, 100); // a thread the profiled run did not hand work to
            Thread.Sleep(20);
        });
        profile.Record(() =>
        {
            other.Start();
            using (OpProfile.Time(OpKind.LayerNorm)) Thread.SpinWait(1000);
            other.Join();
        });
        Assert.Equal(0, profile.Ticks(OpKind.Fc1) + profile.Macs(OpKind.Fc1) + profile.Ticks(OpKind.Fc2) + profile.Macs(OpKind.Fc2));
        Assert.True(profile.Ticks(OpKind.LayerNorm) > 0);
        Assert.True(profile.Ticks(OpKind.Other) > 0); // the join, outside any operation
        Assert.Throws<InvalidOperationException>(() => profile.Record(() => new OpProfile().Record(() => { })));
    }
}
