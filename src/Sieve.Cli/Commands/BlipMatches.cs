using System.CommandLine;
using Sieve.Models;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve match</c> on a BLIP retrieval model: every image against every text, the image encoded once for all texts,
/// with the command's reducers on the vision tower and the text encoder.
/// </summary>
internal static class BlipMatches
{
    /// <summary>One result: the image file, the text, and both scores.</summary>
    public sealed record Row(string Image, string Text, BlipMatch Scores);

    /// <summary>Loads the BLIP in <paramref name="dir"/>, checks every input before anything runs, and scores every pair.</summary>
    /// <exception cref="ArgumentException">A text is longer than the model's positions, or a reducer does not fit.</exception>
    public static IReadOnlyList<Row> Run(ParseResult r, ViltPairs.Options o, string dir)
    {
        CliOptions.ApplyThreads(r.GetValue(o.Threads));
        var texts = ViltPairs.Texts(r, o);
        var (spec, guide) = CliOptions.Reduction(r.GetValue(o.Reducer)!, r.GetValue(o.Guidance), dir);
        var loaded = BlipModel.Load(dir, r.GetValue(o.Precision));
        CliOptions.CheckMerges(spec.For(loaded.Vision.Info), loaded.Vision);
        var ids = texts.Select(text => loaded.Tokenize(text).Ids).ToList();
        var images = CliOptions.ExpandImages(r.GetValue(o.Images)!);
        var model = loaded.WithReduction(spec, guide);
        var rows = new List<Row>();
        bool allowDamaged = CliOptions.AllowDamagedImagesInRun; // read on the run's thread
        CliProgress.Run($"scoring {images.Count * texts.Count} image–text pairs", images.Count, r.GetValue(o.Json) || images.Count == 1, done =>
        {
            foreach (string file in images)
            {
                var pixels = Sieve.Data.ImageBatch.Load([file], allowDamaged, model.Preprocessor.Process)[0];
                var scores = model.Match(pixels, ids);
                rows.AddRange(texts.Select((text, t) => new Row(file, text, scores[t])));
                done();
            }
        });
        return rows;
    }
}
