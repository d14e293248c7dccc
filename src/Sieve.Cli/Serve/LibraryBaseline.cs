using System.Diagnostics;
using Sieve.Data;
using Sieve.Models;
using Sieve.Tensors;

namespace Sieve.Cli.Serve;

/// <summary>
/// The library's own throughput on a load test's input, in the load test's process and without HTTP: the image decoded
/// from the same bytes, preprocessed and run through the model (a ViT's logits, or an image embedding), whole batches
/// of <c>batch</c> inputs in throughput mode (<see cref="Threading.ForEachSample"/>) — what a server's batch of those
/// requests computes, so served ÷ this throughput is what serving costs.
/// </summary>
internal static class LibraryBaseline
{
    /// <summary>Inputs per second over whole batches holding at least <paramref name="inputs"/> inputs (one batch at least), after one untimed batch.</summary>
    /// <param name="model">The model the server runs (loaded here from the same folder).</param>
    /// <param name="classify">Run a ViT's classifier head (<c>/v1/classify</c>), else the image embedding (<c>/v1/embeddings</c>).</param>
    /// <param name="image">The encoded image every request sends.</param>
    /// <param name="batch">Inputs per batch: the server's <c>--max-batch</c>.</param>
    /// <param name="inputs">How many inputs to time, rounded up to whole batches: as many as the served run answered.</param>
    public static double Measure(IImageEncoder model, bool classify, byte[] image, int batch, int inputs)
    {
        var vit = classify ? model as VitModel ?? throw new ArgumentException("classify needs a timm ViT classifier") : null;
        void One()
        {
            var pixels = model.Preprocessor.Process(ImageDecoder.Decode(image, "--image"));
            if (vit != null) vit.Logits(pixels);
            else model.EncodeImage(TowerInput.Image(pixels, model.ImageTower.ImageSize));
        }
        Threading.ForEachSample(batch, _ => One());
        int batches = Math.Max(1, (inputs + batch - 1) / batch);
        long start = Stopwatch.GetTimestamp();
        for (int b = 0; b < batches; b++) Threading.ForEachSample(batch, _ => One());
        return batches * batch / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
