using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve bench</c>'s workloads for each model family. This is the one place that tells the model types apart
/// to build them (ViLT, or an image encoder: ViT or CLIP, with CLIP's texts).
/// </summary>
internal static class BenchWorkloads
{
    /// <summary>How many runs and which reducers.</summary>
    /// <param name="Runs">Timed repetitions per workload (batches: runs ÷ batch, at least 3).</param>
    /// <param name="Warmup">Untimed repetitions first (batches: at most one).</param>
    /// <param name="Batch">Images (and texts) per throughput batch.</param>
    /// <param name="Reducers">Each is also timed against dense.</param>
    public sealed record Options(int Runs, int Warmup, int Batch, IReadOnlyList<ReductionSpec> Reducers);

    /// <summary>The workloads for <paramref name="model"/> (a <see cref="ViltModel"/> or an <see cref="IImageEncoder"/>).</summary>
    public static List<BenchWorkload> For(object model, Options s) =>
        model is ViltModel vilt ? ViltCases(vilt, s) : Cases((IImageEncoder)model, s);

    /// <summary>
    /// ViLT answering one full-length question (the model's text positions, 40 for ViLT-B/32) about images at the
    /// model's own size: one pair, and a batch of different images with the same question (so ONNX Runtime needs no
    /// padding); with each reducer, both against dense.
    /// </summary>
    static List<BenchWorkload> ViltCases(ViltModel vilt, Options s)
    {
        var config = vilt.Config;
        int b = s.Batch, batchRuns = Math.Max(Math.Min(3, s.Runs), s.Runs / b), batchWarmup = Math.Min(s.Warmup, 1);
        int size = config.ImageSize, n = 3 * size * size, t = config.MaxPositions;
        // [CLS], words spread over the vocabulary (past BERT's special and unused ids where it has them), [SEP].
        var ids = Enumerable.Range(0, t).Select(i => i == 0 ? 101 % config.VocabSize : i == t - 1 ? 102 % config.VocabSize
            : (1000 + i * 7919) % config.VocabSize).ToArray();
        var pixels = new float[b * n];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = MathF.Sin(i * 0.37f);
        var inputs = Enumerable.Range(0, b).Select(i => new ViltInput(ids, pixels[(i * n)..((i + 1) * n)], size, size)).ToArray();
        long dense = vilt.AnswerMacs(t, size / config.PatchSize, size / config.PatchSize);
        long MacsOf(int i, TokenReducer reducer)
        {
            var trace = new ForwardTrace();
            vilt.AnswerLogits(inputs[i], reducer, trace);
            return trace.Macs;
        }
        float[] Answer(int i, TokenReducer? reducer = null) => vilt.AnswerLogits(inputs[i], reducer);
        long[] Ids(int rows) => Enumerable.Repeat(ids, rows).SelectMany(row => row).Select(id => (long)id).ToArray();
        var cases = new List<BenchWorkload>
        {
            new()
            {
                Name = $"VQA, {t} tokens + {size}×{size} image, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = dense, PeerMacs = dense,
                Sieve = () => Answer(0), Peer = new(PeerGraph.Image, [PeerTensor.Of(Ids(1), 1, t), PeerTensor.Of(pixels[..n], 1, 3, size, size)]),
            },
            new()
            {
                Name = $"VQA, batch {b} (throughput)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * dense, PeerMacs = b * dense,
                Sieve = () => Threading.ForEachSample(b, i => Answer(i)),
                Peer = new(PeerGraph.Image, [PeerTensor.Of(Ids(b), b, t), PeerTensor.Of(pixels, b, 3, size, size)]),
            },
        };
        foreach (var spec in s.Reducers)
        {
            if (spec.Bind(vilt.Tower) is not { } reducer) continue;
            cases.Add(new()
            {
                Name = $"VQA, batch 1, {spec.Vision}", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = MacsOf(0, reducer),
                Sieve = () => Answer(0, reducer), Dense = () => Answer(0), DenseMacs = dense,
            });
            cases.Add(new()
            {
                Name = $"VQA, batch {b} (throughput), {spec.Vision}", Items = b, Warmup = batchWarmup, Runs = batchRuns,
                SieveMacs = Enumerable.Range(0, b).Sum(i => MacsOf(i, reducer)),
                Sieve = () => Threading.ForEachSample(b, i => Answer(i, reducer)), Dense = () => Threading.ForEachSample(b, i => Answer(i)), DenseMacs = b * dense,
            });
        }
        return cases;
    }

    /// <summary>The workloads for this model: images always, texts for CLIP.</summary>
    static List<BenchWorkload> Cases(IImageEncoder encoder, Options s)
    {
        int b = s.Batch, batchRuns = Math.Max(Math.Min(3, s.Runs), s.Runs / b), batchWarmup = Math.Min(s.Warmup, 1);
        var (size, macs, encode) = encoder switch
        {
            VitModel vit => (vit.Config.ImageSize, vit.Macs, (Func<ReadOnlyMemory<float>, TokenReducer?, ForwardTrace?, float[]>)((p, red, t) => vit.Logits(p.Span, red, t))),
            ClipModel clip => (clip.Config.ImageSize, clip.Vision.Macs, (p, red, t) => clip.Vision.Encode(p.Span, red, t)),
            _ => throw new InvalidOperationException($"no benchmark for {encoder.GetType().Name}"),
        };
        // b different, deterministic images in an image-like range; the first one alone for batch 1.
        int n = 3 * size * size;
        var pixels = new float[b * n];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = MathF.Sin(i * 0.37f);
        var first = pixels[..n];
        float[] Encode(int i, TokenReducer? reducer = null) => encode(pixels.AsMemory(i * n, n), reducer, null);
        long MacsOf(int i, TokenReducer reducer)
        {
            var trace = new ForwardTrace();
            encode(pixels.AsMemory(i * n, n), reducer, trace);
            return trace.Macs;
        }
        var cases = new List<BenchWorkload>
        {
            new()
            {
                Name = "image, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = macs, PeerMacs = macs,
                Sieve = () => Encode(0), Peer = new(PeerGraph.Image, [PeerTensor.Of(first, 1, 3, size, size)]),
            },
            new()
            {
                Name = $"image, batch {b} (throughput)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * macs, PeerMacs = b * macs,
                Sieve = () => Threading.ForEachSample(b, i => Encode(i)), Peer = new(PeerGraph.Image, [PeerTensor.Of(pixels, b, 3, size, size)]),
            },
            new()
            {
                Name = $"image, batch {b}, sequential (Sieve latency mode)", Items = b, Warmup = batchWarmup, Runs = batchRuns, SieveMacs = b * macs,
                Sieve = () => { for (int i = 0; i < b; i++) Encode(i); },
            },
        };
        foreach (var spec in s.Reducers)
        {
            CliOptions.CheckMerges(spec.Vision, encoder);
            if (spec.Bind(encoder.ImageTower) is not { } reducer) continue;
            cases.Add(new()
            {
                Name = $"image, batch 1, {spec.Vision}", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = MacsOf(0, reducer),
                Sieve = () => Encode(0, reducer), Dense = () => Encode(0), DenseMacs = macs,
            });
            cases.Add(new()
            {
                Name = $"image, batch {b} (throughput), {spec.Vision}", Items = b, Warmup = batchWarmup, Runs = batchRuns,
                SieveMacs = Enumerable.Range(0, b).Sum(i => MacsOf(i, reducer)),
                Sieve = () => Threading.ForEachSample(b, i => Encode(i, reducer)), Dense = () => Threading.ForEachSample(b, i => Encode(i)), DenseMacs = b * macs,
            });
        }
        if (encoder is ClipModel c) cases.AddRange(TextCases(c, s, batchRuns, batchWarmup));
        return cases;
    }

    /// <summary>
    /// A full-length text alone, and a batch of texts of growing lengths: Sieve runs each only up to its
    /// end-of-text, ONNX Runtime takes the batch padded to the longest (end-of-text as padding, as Hugging Face's
    /// CLIP tokenizers pad).
    /// </summary>
    static IEnumerable<BenchWorkload> TextCases(ClipModel clip, Options s, int batchRuns, int batchWarmup)
    {
        var config = clip.Config;
        int n = config.MaxPositions, eos = config.EosTokenId, b = s.Batch;
        int[] Text(int length) => Enumerable.Range(0, length).Select(i =>
        {
            int id = 1 + i * 7919 % (config.VocabSize - 2); // spread over the vocabulary, never end-of-text before the end
            return i == length - 1 ? eos : id == eos ? id + 1 : id;
        }).ToArray();
        long[] Padded(IEnumerable<int[]> texts) => texts.SelectMany(t => t.Concat(Enumerable.Repeat(eos, n - t.Length))).Select(id => (long)id).ToArray();

        var full = Text(n);
        int shortest = Math.Min(5, n);
        var texts = Enumerable.Range(0, b).Select(i => Text(b == 1 ? n : shortest + (n - shortest) * i / (b - 1))).ToArray();
        yield return new BenchWorkload
        {
            Name = $"text, {n} tokens, batch 1", Items = 1, Warmup = s.Warmup, Runs = s.Runs,
            SieveMacs = clip.Text.MacsFor(n), PeerMacs = clip.Text.MacsFor(n),
            Sieve = () => clip.Text.Encode(full), Peer = new(PeerGraph.Text, [PeerTensor.Of(Padded([full]), 1, n)]),
        };
        foreach (var spec in s.Reducers)
        {
            if (spec.Bind(clip.Text.Tower) is not { } reducer) continue;
            var trace = new ForwardTrace();
            clip.Text.Encode(full, reducer, trace);
            yield return new BenchWorkload
            {
                Name = $"text, {n} tokens, batch 1, {spec.Text}", Items = 1, Warmup = s.Warmup, Runs = s.Runs, SieveMacs = trace.Macs,
                Sieve = () => clip.Text.Encode(full, reducer), Dense = () => clip.Text.Encode(full), DenseMacs = clip.Text.MacsFor(n),
            };
        }
        yield return new BenchWorkload
        {
            Name = $"text, batch {b}, {texts[0].Length}–{n} tokens (ORT: padded to {n})", Items = b, Warmup = batchWarmup, Runs = batchRuns,
            SieveMacs = texts.Sum(t => clip.Text.MacsFor(t.Length)), PeerMacs = b * clip.Text.MacsFor(n),
            Sieve = () => Threading.ForEachSample(b, i => clip.Text.Encode(texts[i])), Peer = new(PeerGraph.Text, [PeerTensor.Of(Padded(texts), b, n)]),
        };
    }
}
