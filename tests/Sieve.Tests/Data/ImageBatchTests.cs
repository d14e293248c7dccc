using Sieve.Data;
using Sieve.Tests.Support;

namespace Sieve.Tests.Data;

/// <summary>
/// The parallel decode-and-preprocess helper keeps the files' order whatever the thread count and the order
/// files finish in, and a failure names the first failing file in order, not the first a thread met.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public sealed class ImageBatchTests : IDisposable
{
    const int Files = 12;
    readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Files whose image i is 4 + i pixels wide, so the width tells which file a result came from.</summary>
    string[] Write()
    {
        return Enumerable.Range(0, Files).Select(i =>
        {
            int width = 4 + i;
            string path = _folder.File($"image{i:D2}.png");
            File.WriteAllBytes(path, TestPng.Encode(width, 3, TestPng.ColorType.Rgb, new byte[width * 3 * 3]));
            return path;
        }).ToArray();
    }

    /// <summary>The width, after a pause that is longest for the first files: later files finish first.</summary>
    static int SlowFirst(RgbImage image)
    {
        Thread.Sleep((4 + Files - image.Width) * 10);
        return image.Width;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Results_are_in_the_files_order_and_every_file_counts_progress(int threads)
    {
        var files = Write();
        int done = 0;
        var widths = ThreadCountCollection.With(threads, () => ImageBatch.Load(files, false, SlowFirst, () => Interlocked.Increment(ref done)));
        Assert.Equal(Enumerable.Range(4, Files), widths);
        Assert.Equal(Files, done);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void The_first_failing_file_in_order_is_named(int threads)
    {
        var files = Write();
        // File 8 cannot be decoded and fails at once; file 3's image is refused by the preprocessing, but only
        // after a pause, by which time file 8 has long failed on another thread.
        File.WriteAllBytes(files[8], [1, 2, 3, 4]);
        int Refuse7Wide(RgbImage image)
        {
            if (image.Width != 7) return SlowFirst(image);
            Thread.Sleep(1000);
            throw new ArgumentException("7 pixels is too narrow", nameof(image));
        }
        var e = Assert.Throws<SieveFormatException>(() => ThreadCountCollection.With(threads, () => ImageBatch.Load(files, false, Refuse7Wide)));
        Assert.Equal($"{files[3]}: 7 pixels is too narrow", e.Message);

        // Without the refusal, the undecodable file is named by the decoder.
        e = Assert.Throws<SieveFormatException>(() => ThreadCountCollection.With(threads, () => ImageBatch.Load(files, false, SlowFirst)));
        Assert.StartsWith($"{files[8]}: ", e.Message);
    }
}
