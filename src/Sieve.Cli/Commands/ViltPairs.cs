using System.CommandLine;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// What <c>sieve vqa</c> and <c>sieve match</c> share: a ViLT, its reducer, and every image paired with every
/// text (given once, or one per line of a file), each image preprocessed and each text tokenized once.
/// </summary>
internal sealed class ViltPairs
{
    /// <summary>One result: the image file, the text, what tokenizing it lost (or null), and the value.</summary>
    public sealed record Row<T>(string Image, string Text, string? Warning, T Result);

    /// <summary>The options of one text kind: <c>--question</c> / <c>--questions</c>, or <c>--text</c> / <c>--texts</c>.</summary>
    public sealed class Options(string single, string file, string what)
    {
        public Option<string[]> Images { get; } = new("--image", "-i") { Description = "Image files or folders of images", Required = true, AllowMultipleArgumentsPerToken = true };
        public Option<string?> Text { get; } = new($"--{single}") { Description = $"The {what}" };
        public Option<string?> TextFile { get; } = new($"--{file}") { Description = $"A text file, one {what} per line" };
        public Option<string> Model { get; } = CliOptions.Model();
        public Option<string> Reducer { get; } = CliOptions.Reducer();
        public Option<string?> Guidance { get; } = CliOptions.Guidance();
        public Option<bool> Json { get; } = EvalOptions.Json();
        public Option<int?> Threads { get; } = CliOptions.Threads();
        public Option<Precision> Precision { get; } = CliOptions.Precision();

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Model, Images, Text, TextFile, Reducer, Guidance, Json, Threads, Precision }) command.Add(option);
        }

        public string SingleName => $"--{single}";
        public string FileName => $"--{file}";
    }

    /// <summary>Images decoded (in parallel) and held at once: a few MB each at ViLT's 384 px.</summary>
    const int ImageChunk = 16;

    readonly IReadOnlyList<string> _images;
    readonly IReadOnlyList<(string Text, TokenizedText Tokens)> _texts;

    ViltPairs(ViltModel model, IReadOnlyList<string> images, IReadOnlyList<(string, TokenizedText)> texts)
    {
        Model = model;
        _images = images;
        _texts = texts;
    }

    /// <summary>The model, with the command's reducer bound.</summary>
    public ViltModel Model { get; }

    /// <summary>Loads the model and checks every input before anything runs.</summary>
    /// <param name="r">The parsed command line.</param>
    /// <param name="o">The command's options.</param>
    /// <param name="vqa">The command needs the VQA head (else the image–text matching head).</param>
    /// <param name="cancellationToken">Ends the model's download when it is pulled from the Hub.</param>
    /// <param name="resolved">The model folder when the caller already resolved <c>--model</c>.</param>
    public static async Task<ViltPairs> LoadAsync(ParseResult r, Options o, bool vqa, CancellationToken cancellationToken, string? resolved = null)
    {
        CliOptions.ApplyThreads(r.GetValue(o.Threads));
        var texts = Texts(r, o);
        string dir = resolved ?? await CliOptions.ResolveModelAsync(r.GetValue(o.Model)!, r.GetValue(o.Json), cancellationToken);
        if (ModelFolder.Detect(dir) != ModelFamily.Vilt)
            throw new SieveFormatException($"'{dir}' is not a ViLT{(vqa ? "" : " or BLIP")} model (config.json \"model_type\": \"vilt\"{(vqa ? "" : " or \"blip\"")})");
        var (spec, guide) = CliOptions.Reduction(r.GetValue(o.Reducer)!, r.GetValue(o.Guidance), dir);
        var model = ViltModel.Load(dir, r.GetValue(o.Precision));
        if (vqa && !model.HasVqaHead)
            throw new SieveFormatException($"'{dir}' has no VQA head (classifier.*): not a ViltForQuestionAnswering checkpoint");
        if (!vqa && !model.HasMatchHead)
            throw new SieveFormatException($"'{dir}' has no image–text matching head (rank_output): not a ViltForImageAndTextRetrieval checkpoint");
        var images = CliOptions.ExpandImages(r.GetValue(o.Images)!);
        return new ViltPairs(model.WithReduction(spec, guide), images, texts.Select(t => (t, model.Tokenizer.Encode(t))).ToList());
    }

    /// <summary>The texts the command line gives: the one text, or the lines of the file.</summary>
    public static IReadOnlyList<string> Texts(ParseResult r, Options o)
    {
        string? single = r.GetValue(o.Text), file = r.GetValue(o.TextFile);
        if ((single != null) == (file != null)) throw new SieveFormatException($"give exactly one of {o.SingleName} or {o.FileName}");
        return single != null ? [single] : ReadLines(file!, o.FileName);
    }

    /// <summary>Runs <paramref name="run"/> on every pair (a progress bar unless <paramref name="quiet"/>); images outer, texts inner.</summary>
    public IReadOnlyList<Row<T>> Run<T>(string what, bool quiet, Func<ViltInput, T> run)
    {
        var rows = new List<Row<T>>();
        int total = _images.Count * _texts.Count;
        bool allowDamaged = CliOptions.AllowDamagedImagesInRun; // read on the run's thread
        CliProgress.Run($"{what} {total} image–text pairs", total, quiet || total == 1, done =>
        {
            for (int start = 0; start < _images.Count; start += ImageChunk)
            {
                var files = _images.Skip(start).Take(ImageChunk).ToArray();
                var images = ImageBatch.Load(files, allowDamaged, Model.Preprocessor.Process);
                for (int f = 0; f < files.Length; f++)
                {
                    var (pixels, height, width) = images[f];
                    foreach (var (text, tokens) in _texts)
                    {
                        var input = new ViltInput(tokens.Ids, pixels, height, width, warning: tokens.Warning);
                        rows.Add(new Row<T>(files[f], text, tokens.Warning, run(input)));
                        done();
                    }
                }
            }
        });
        return rows;
    }

    /// <summary>Each distinct truncation warning once, on the console.</summary>
    public static void PrintWarnings<T>(IEnumerable<Row<T>> rows)
    {
        foreach (var row in rows.Where(r => r.Warning != null).DistinctBy(r => r.Text))
            CliConsole.Warn($"'{UsageError.Echo(row.Text)}': {row.Warning}");
    }

    static List<string> ReadLines(string path, string option)
    {
        if (!File.Exists(path)) throw new SieveFormatException($"{option} '{path}' does not exist");
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return lines.Count > 0 ? lines : throw new SieveFormatException($"{option} '{path}' holds no text");
    }
}
