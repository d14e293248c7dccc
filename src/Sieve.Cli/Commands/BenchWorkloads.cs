using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve bench</c>'s workloads: for every tower of the model, by the kind of tokens it reads (images, texts, or
/// both in one stream), the same runs for Sieve, ONNX Runtime and each reducer against dense.
/// </summary>
internal static class BenchWorkloads
{
    /// <summary>How many runs and which reducers.</summary>
    /// <param name="Runs">Timed repetitions per workload (batches: runs ÷ batch, at least 3).</param>
    /// <param name="Warmup">Untimed repetitions first (batches: at most one).</param>
    /// <param name="Batch">Images (and texts) per throughput batch.</param>
    /// <param name="Reducers">Each is also timed against dense.</param>
    public sealed record Options(int Runs, int Warmup, int Batch, IReadOnlyList<ModelReduction> Reducers);

    /// <summary>Text length of BLIP's matching workloads: the 35 tokens BLIP's released retrieval configs pad captions to.</summary>
    public const int BlipTextTokens = 35;

    /// <summary>The workloads of every tower of <paramref name="model"/>; for a BLIP, image–text matching (both towers at once).</summary>
    public static List<BenchWorkload> For(IModel model, Options s)
    {
        int batchRuns = Math.Max(Math.Min(3, s.Runs), s.Runs / s.Batch), batchWarmup = Math.Min(s.Warmup, 1);
        if (model is BlipModel blip) return [.. Matches(blip, s, batchRuns, batchWarmup)];
        var workloads = new List<BenchWorkload>();
        foreach (var tower in model.Towers)
            workloads.AddRange(tower.Info.Modality == Modality.Text ? Texts(tower, s, batchRuns, batchWarmup) : Images(tower, s, batchRuns, batchWarmup));
        return workloads;
    }

    /// <summary>
    /// Images at the tower's own size (a fusion tower: each with the same full-length question, so ONNX Runtime needs
    /// no padding): one alone, a batch of different ones, for an image tower the batch one after another too; with
    /// each reducer, both against dense.
    /// </summary>
    static IEnumerable<BenchWorkload> Images(ITower tower, Options s, int batchRuns, int batchWarmup)
    {
        int b = s.Batch, size = tower.ImageSize;
        bool pair = tower.Info.Modality == Modality.Multimodal;
        var inputs = Enumerable.Range(0, b).Select(i => tower.Example(i)).ToArray();
        int t = pair ? inputs[0].Ids!.Length : 0;
        long dense = tower.DenseMacs(inputs[0]);
        string what = pair ? "VQA" : "image";
        float[] Run(int i, TokenReducer? reducer = null) => tower.Forward(inputs[i], reducer);

        yield return new()
        {
            Name = pair ? $"VQA, {t} tokens + {size}×{size} image, batch 1" : "image, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs,
            SieveMacs = dense, PeerMacs = dense, Sieve = () => Run(0), Peer = PeerOf(tower, inputs, 1),
        };
        yield return new()
        {
            Name = $"{what}, batch {b} (throughput)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * dense, PeerMacs = b * dense,
            Sieve = () => Threading.ForEachSample(b, i => Run(i)), Peer = PeerOf(tower, inputs, b),
        };
        if (!pair)
            yield return new()
            {
                Name = $"image, batch {b}, sequential (Sieve latency mode)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * dense,
                Sieve = () => { for (int i = 0; i < b; i++) Run(i); },
            };
        foreach (var spec in s.Reducers)
        {
            var shown = spec.For(tower.Info);
            CliOptions.CheckMerges(shown, tower);
            if (shown.Bind(tower.Info) is not { } reducer) continue;
            yield return new()
            {
                Name = $"{what}, batch 1, {shown}", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = MacsOf(tower, inputs[0], reducer),
                Sieve = () => Run(0, reducer), Dense = () => Run(0), DenseMacs = dense,
            };
            yield return new()
            {
                Name = $"{what}, batch {b} (throughput), {shown}", Items = b, Warmup = batchWarmup, Runs = batchRuns,
                SieveMacs = inputs.Sum(input => MacsOf(tower, input, reducer)),
                Sieve = () => Threading.ForEachSample(b, i => Run(i, reducer)), Dense = () => Threading.ForEachSample(b, i => Run(i)), DenseMacs = b * dense,
            };
        }
    }

    /// <summary>
    /// BLIP's <see cref="BlipModel.Match(float[], int[])"/>: each image with a <see cref="BlipTextTokens"/>-token text, the
    /// vision tower, the text encoder alone (contrastive score) and cross-attending to the image tokens (matching
    /// probability); one pair alone, a batch of different images; with each reducer (its vision spec in the vision tower,
    /// its text spec in the text encoder), both against dense.
    /// </summary>
    static IEnumerable<BenchWorkload> Matches(BlipModel blip, Options s, int batchRuns, int batchWarmup)
    {
        var pairs = new MatchPairs(blip, s, batchRuns, batchWarmup);
        int b = s.Batch, size = blip.Config.ImageSize;
        yield return new()
        {
            Name = $"match (vision + ITM + ITC), {pairs.Ids.Length} tokens + {size}×{size} image, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs,
            SieveMacs = pairs.DenseMacs, PeerMacs = pairs.DenseMacs, Sieve = () => blip.Match(pairs.Images[0], pairs.Ids), Peer = pairs.Peer(1),
        };
        yield return new()
        {
            Name = $"match, batch {b} (throughput)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * pairs.DenseMacs, PeerMacs = b * pairs.DenseMacs,
            Sieve = () => Threading.ForEachSample(b, i => blip.Match(pairs.Images[i], pairs.Ids)), Peer = pairs.Peer(b),
        };
        foreach (var spec in s.Reducers)
        {
            var (alone, batch) = pairs.AgainstDense(MatchPairs.Reduced(blip, spec), spec.ToString());
            yield return alone;
            yield return batch;
        }
    }

    /// <summary>
    /// The image–text pairs BLIP's matching rows time (the batch's example images, each with one
    /// <see cref="BlipTextTokens"/>-token text), float32 dense <see cref="BlipModel.Match(float[], int[])"/> on them, and
    /// the rows built from them.
    /// </summary>
    sealed class MatchPairs
    {
        readonly BlipModel _dense;
        readonly Options _s;
        readonly int _batchRuns, _batchWarmup;

        public MatchPairs(BlipModel dense, Options s, int batchRuns, int batchWarmup)
        {
            (_dense, _s, _batchRuns, _batchWarmup) = (dense, s, batchRuns, batchWarmup);
            Images = [.. Enumerable.Range(0, s.Batch).Select(i => dense.Vision.Example(i).Pixels!)];
            Ids = dense.Text.Example(0, Math.Min(BlipTextTokens, dense.Config.MaxPositions)).Ids!;
            DenseMacs = MatchMacsOf(dense, Images[0], Ids);
        }

        public float[][] Images { get; }
        public int[] Ids { get; }

        /// <summary>Multiply-adds of one float32 dense match.</summary>
        public long DenseMacs { get; }

        /// <summary><paramref name="model"/> with <paramref name="spec"/>, each tower's part of it checked to fit.</summary>
        public static BlipModel Reduced(BlipModel model, ModelReduction spec)
        {
            foreach (var tower in model.Towers) CliOptions.CheckMerges(spec.For(tower.Info), tower);
            return model.WithReduction(spec);
        }

        /// <summary>One pair and the throughput batch of <paramref name="model"/>'s matching, each timed against float32 dense; <paramref name="label"/> ends their names.</summary>
        public (BenchWorkload Alone, BenchWorkload Batch) AgainstDense(BlipModel model, string label)
        {
            int b = _s.Batch;
            var (dense, images, ids) = (_dense, Images, Ids);
            return (new BenchWorkload
            {
                Name = $"match, batch 1, {label}", Items = 1, Warmup = _s.Warmup, Runs = _s.Runs, SieveMacs = MatchMacsOf(model, images[0], ids),
                Sieve = () => model.Match(images[0], ids), Dense = () => dense.Match(images[0], ids), DenseMacs = DenseMacs,
            }, new BenchWorkload
            {
                Name = $"match, batch {b} (throughput), {label}", Items = b, Warmup = _batchWarmup, Runs = _batchRuns,
                SieveMacs = images.Sum(image => MatchMacsOf(model, image, ids)),
                Sieve = () => Threading.ForEachSample(b, i => model.Match(images[i], ids)),
                Dense = () => Threading.ForEachSample(b, i => dense.Match(images[i], ids)), DenseMacs = b * DenseMacs,
            });
        }

        /// <summary>The ONNX Runtime peer's inputs for the first <paramref name="rows"/> pairs, for its graph in <paramref name="precision"/>.</summary>
        public PeerInputs Peer(int rows, Precision precision = Precision.Float32) => new(PeerGraph.Image,
            [PeerTensor.Of(Images.Take(rows).SelectMany(p => p).ToArray(), rows, 3, _dense.Config.ImageSize, _dense.Config.ImageSize),
             PeerTensor.Of(Enumerable.Repeat(Ids, rows).SelectMany(row => row).Select(id => (long)id).ToArray(), rows, Ids.Length)], precision);
    }

    /// <summary>Multiply-adds of one <see cref="BlipModel.Match(float[], int[])"/> as executed: the same three passes, traced.</summary>
    static long MatchMacsOf(BlipModel blip, float[] pixels, int[] ids)
    {
        var trace = new ForwardTrace();
        var (_, tokens) = blip.Vision.EncodeWithTokens(pixels, trace);
        blip.Text.Encode(ids, trace);
        blip.Text.MatchLogits(ids, tokens, trace);
        return trace.Macs;
    }

    /// <summary>
    /// A full-length text alone, and a batch of texts of growing lengths: Sieve runs each only up to its end-of-text,
    /// ONNX Runtime takes the batch padded to the longest (end-of-text as padding, as Hugging Face's CLIP tokenizers pad).
    /// </summary>
    static IEnumerable<BenchWorkload> Texts(ITower tower, Options s, int batchRuns, int batchWarmup)
    {
        int n = tower.TextTokens, b = s.Batch;
        var full = tower.Example(0);
        int eos = full.Ids![^1];
        long[] Padded(IEnumerable<TowerInput> texts) => texts.SelectMany(t => t.Ids!.Concat(Enumerable.Repeat(eos, n - t.Ids!.Length))).Select(id => (long)id).ToArray();
        int shortest = Math.Min(5, n);
        var texts = Enumerable.Range(0, b).Select(i => tower.Example(i, b == 1 ? n : shortest + (n - shortest) * i / (b - 1))).ToArray();
        long dense = tower.DenseMacs(full);
        yield return new()
        {
            Name = $"text, {n} tokens, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = dense, PeerMacs = dense,
            Sieve = () => tower.Forward(full), Peer = new(PeerGraph.Text, [PeerTensor.Of(Padded([full]), 1, n)]),
        };
        foreach (var spec in s.Reducers)
        {
            var shown = spec.For(tower.Info);
            if (shown.Bind(tower.Info) is not { } reducer) continue;
            yield return new()
            {
                Name = $"text, {n} tokens, batch 1, {shown}", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = MacsOf(tower, full, reducer),
                Sieve = () => tower.Forward(full, reducer), Dense = () => tower.Forward(full), DenseMacs = dense,
            };
        }
        yield return new()
        {
            Name = $"text, batch {b}, {texts[0].Ids!.Length}–{n} tokens (ORT: padded to {n})", Items = b, Warmup = batchWarmup, Runs = batchRuns,
            SieveMacs = texts.Sum(tower.DenseMacs), PeerMacs = b * dense,
            Sieve = () => Threading.ForEachSample(b, i => tower.Forward(texts[i])), Peer = new(PeerGraph.Text, [PeerTensor.Of(Padded(texts), b, n)]),
        };
    }

    /// <summary>The first <paramref name="rows"/> inputs as the peer's <paramref name="precision"/> graph takes them (a fusion tower's rows all ask the first question; texts of one length).</summary>
    static PeerInputs PeerOf(ITower tower, TowerInput[] inputs, int rows, Precision precision = Precision.Float32)
    {
        static long[] Ids(IEnumerable<int[]> texts) => texts.SelectMany(row => row).Select(id => (long)id).ToArray();
        int t = inputs[0].Ids?.Length ?? 0;
        if (tower.Info.Modality == Modality.Text) return new(PeerGraph.Text, [PeerTensor.Of(Ids(inputs.Take(rows).Select(i => i.Ids!)), rows, t)], precision);
        var pixels = PeerTensor.Of(inputs.Take(rows).SelectMany(i => i.Pixels!).ToArray(), rows, 3, tower.ImageSize, tower.ImageSize);
        return new(PeerGraph.Image, tower.Info.Modality == Modality.Multimodal
            ? [PeerTensor.Of(Ids(Enumerable.Repeat(inputs[0].Ids!, rows)), rows, t), pixels]
            : [pixels], precision);
    }

    /// <summary>
    /// The int8 model beside the float32 one: for every tower, one input (an image, a VQA pair or a full-length text)
    /// and, for images, the throughput batch, alone and with each reducer; each timed against float32 dense Sieve on
    /// the same inputs, then again against ONNX Runtime: dense against its int8 graph (the same int8 weights), reduced
    /// against its float32 dense graph. The towers are the same model's, loaded at the two precisions.
    /// </summary>
    public static IEnumerable<BenchWorkload> Int8(IModel float32, IModel int8, Options s)
    {
        int batchRuns = Math.Max(Math.Min(3, s.Runs), s.Runs / s.Batch), batchWarmup = Math.Min(s.Warmup, 1), b = s.Batch;
        if (float32 is BlipModel blip) // image–text matching, both towers at once, as For times it
        {
            foreach (var workload in Int8Matches(blip, (BlipModel)int8, s, batchRuns, batchWarmup)) yield return workload;
            yield break;
        }
        foreach (var (reference, tower) in float32.Towers.Zip(int8.Towers))
        {
            bool text = tower.Info.Modality == Modality.Text;
            string what = text ? $"text, {tower.TextTokens} tokens" : tower.Info.Modality == Modality.Multimodal ? "VQA" : "image";
            var inputs = Enumerable.Range(0, text ? 1 : b).Select(i => tower.Example(i)).ToArray();
            long dense = tower.DenseMacs(inputs[0]);
            var reducers = s.Reducers.Select(spec => spec.For(tower.Info)).Select(shown => (Name: $", {shown}", Reducer: shown.Bind(tower.Info)))
                .Where(r => r.Reducer != null).Prepend((Name: "", Reducer: null));
            foreach (var (name, reducer) in reducers)
            {
                var peer = reducer == null ? Precision.Int8 : Precision.Float32;
                string against = reducer == null ? " vs ORT int8" : " vs ORT fp32 dense";
                var alone = new BenchWorkload
                {
                    Name = $"{what}, batch 1, int8{name}", Items = 1, Warmup = s.Warmup, Runs = s.Runs,
                    SieveMacs = reducer == null ? dense : MacsOf(tower, inputs[0], reducer),
                    Sieve = () => tower.Forward(inputs[0], reducer), Dense = () => reference.Forward(inputs[0]), DenseMacs = dense,
                };
                yield return alone;
                yield return AgainstPeer(alone, against, PeerOf(tower, inputs, 1, peer), dense);
                if (text) continue;
                var batch = new BenchWorkload
                {
                    Name = $"{what}, batch {b} (throughput), int8{name}", Items = b, Warmup = batchWarmup, Runs = batchRuns,
                    SieveMacs = reducer == null ? b * dense : inputs.Sum(input => MacsOf(tower, input, reducer)),
                    Sieve = () => Threading.ForEachSample(b, i => tower.Forward(inputs[i], reducer)),
                    Dense = () => Threading.ForEachSample(b, i => reference.Forward(inputs[i])), DenseMacs = b * dense,
                };
                yield return batch;
                yield return AgainstPeer(batch, against, PeerOf(tower, inputs, b, peer), b * dense);
            }
        }
    }

    /// <summary>
    /// BLIP's int8 matching beside the float32 one, as <see cref="Int8"/> times a tower: one pair and the throughput batch,
    /// alone and with each reducer, against float32 dense Sieve, then against ONNX Runtime's int8 (dense) or float32
    /// dense (reduced) matching graph.
    /// </summary>
    static IEnumerable<BenchWorkload> Int8Matches(BlipModel float32, BlipModel int8, Options s, int batchRuns, int batchWarmup)
    {
        var pairs = new MatchPairs(float32, s, batchRuns, batchWarmup);
        long dense = pairs.DenseMacs;
        var reducers = s.Reducers.Select(spec => (Name: $", {spec}", Model: MatchPairs.Reduced(int8, spec), Peer: Precision.Float32, Against: " vs ORT fp32 dense"))
            .Prepend((Name: "", Model: int8, Peer: Precision.Int8, Against: " vs ORT int8"));
        foreach (var (name, model, peer, against) in reducers)
        {
            var (alone, batch) = pairs.AgainstDense(model, $"int8{name}");
            yield return alone;
            yield return AgainstPeer(alone, against, pairs.Peer(1, peer), dense);
            yield return batch;
            yield return AgainstPeer(batch, against, pairs.Peer(s.Batch, peer), s.Batch * dense);
        }
    }

    /// <summary>
    /// <paramref name="row"/>'s Sieve run timed again, against ONNX Runtime on <paramref name="peer"/> instead of float32
    /// dense Sieve; <paramref name="against"/> ends its name.
    /// </summary>
    static BenchWorkload AgainstPeer(BenchWorkload row, string against, PeerInputs peer, long peerMacs) =>
        row with { Name = row.Name + against, Dense = null, DenseMacs = 0, Peer = peer, PeerMacs = peerMacs };

    /// <summary>Multiply-adds of one reduced forward as executed.</summary>
    static long MacsOf(ITower tower, TowerInput input, TokenReducer reducer)
    {
        var trace = new ForwardTrace();
        tower.Forward(input, BlockHook.Combine(reducer, trace));
        return trace.Macs;
    }
}
