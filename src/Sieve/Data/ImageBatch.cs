using System.Runtime.ExceptionServices;
using Sieve.Tensors;

namespace Sieve.Data;

/// <summary>Decodes and preprocesses image files in parallel: whole files per core (<see cref="Threading.ForEachSample"/>).</summary>
internal static class ImageBatch
{
    /// <summary>Reads, decodes and preprocesses every file; result <c>i</c> is file <c>i</c>'s, whatever the thread count.</summary>
    /// <param name="files">The image files.</param>
    /// <param name="allowDamaged">Decode JPEGs and PNGs that are cut short or damaged as far as they go instead of refusing them.</param>
    /// <param name="preprocess">Turns a decoded image into the model's input; called from worker threads.</param>
    /// <param name="progress">Null, or called once per file done (from worker threads).</param>
    /// <exception cref="SieveFormatException">
    /// A file could not be decoded, or its image does not fit <paramref name="preprocess"/>; the message names the
    /// file, the first failing one in order (not whichever a thread met first), so it is the same on every run.
    /// </exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public static T[] Load<T>(IReadOnlyList<string> files, bool allowDamaged, Func<RgbImage, T> preprocess, Action? progress = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(preprocess);
        var results = new T[files.Count];
        var errors = new ExceptionDispatchInfo?[files.Count];
        int firstFailure = int.MaxValue;
        Threading.ForEachSample(files.Count, i =>
        {
            // Files are handed out in order: past a failure, only an earlier file can still change the error.
            if (i > Volatile.Read(ref firstFailure)) return;
            try
            {
                results[i] = Preprocess(files[i], ImageDecoder.Decode(files[i], allowDamaged), preprocess);
            }
            catch (Exception e)
            {
                errors[i] = ExceptionDispatchInfo.Capture(e);
                for (int seen = Volatile.Read(ref firstFailure); i < seen; seen = Volatile.Read(ref firstFailure))
                    if (Interlocked.CompareExchange(ref firstFailure, i, seen) == seen) break;
                return;
            }
            progress?.Invoke();
        });
        if (firstFailure < files.Count) errors[firstFailure]!.Throw();
        return results;
    }

    /// <summary>The decoder's errors name the file; an image the preprocessing refuses (too elongated, say) is named here.</summary>
    static T Preprocess<T>(string file, RgbImage image, Func<RgbImage, T> preprocess)
    {
        try
        {
            return preprocess(image);
        }
        catch (ArgumentException e)
        {
            string message = e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
            throw new SieveFormatException($"{file}: {message}", e);
        }
    }
}
