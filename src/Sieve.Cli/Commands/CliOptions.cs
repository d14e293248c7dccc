using System.CommandLine;
using Sieve.Hub;
using Sieve.Models;
using Sieve.Tensors;

namespace Sieve.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class CliOptions
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "Model folder (config.json + model.safetensors or its shards, else pytorch_model.bin or its shards or one .pth; + vocab.json, merges.txt for CLIP text; + vocab.txt for ViLT), or a Hub repository id like org/name",
        Required = true,
    };

    public const string AllowTruncatedImagesName = "--allow-truncated-images";

    /// <summary><c>--allow-truncated-images</c>, which every command accepts (it is added to the root, recursively).</summary>
    public static Option<bool> AllowTruncatedImages() => new(AllowTruncatedImagesName)
    {
        Description = "Decode a JPEG or PNG that is cut short or damaged as far as it goes, instead of refusing it",
        Recursive = true,
    };

    // The flag of the current run; an AsyncLocal so that runs on parallel threads (tests) do not see each other's.
    // It does not flow into Threading's worker threads: read it on the run's own thread (ImageReader).
    static readonly AsyncLocal<bool> AllowDamagedImages = new();

    /// <summary>Sets, for the current run, whether <see cref="ImageReader"/> decodes damaged images.</summary>
    public static void SetAllowDamagedImages(bool allow) => AllowDamagedImages.Value = allow;

    /// <summary>Whether the current run has <c>--allow-truncated-images</c>.</summary>
    public static bool AllowDamagedImagesInRun => AllowDamagedImages.Value;

    /// <summary>
    /// Decodes image files as the current run asks: a damaged one is refused unless it has <c>--allow-truncated-images</c>.
    /// Take it on the run's thread; the reader may then be called from any thread.
    /// </summary>
    public static Func<string, Sieve.Data.RgbImage> ImageReader()
    {
        bool allow = AllowDamagedImages.Value;
        return path => Sieve.Data.ImageDecoder.Decode(path, allow);
    }

    /// <summary>Where <c>--model</c> repository ids are pulled from; tests point it at a local fake Hub.</summary>
    internal static Func<HubOptions> Hub { get; set; } = HubOptions.FromEnvironment;

    /// <summary>
    /// The folder a <c>--model</c> argument names: the folder itself, or the snapshot of a Hub repository id,
    /// downloaded (with a progress bar unless <paramref name="quiet"/>) when the cache lacks it. An argument that
    /// reads as a local path is never sent to the Hub (see <see cref="LooksLocal"/>). <paramref name="cancellationToken"/>
    /// (the command's: Ctrl+C) ends a download, keeping what arrived for the next run to resume.
    /// </summary>
    public static async Task<string> ResolveModelAsync(string argument, bool quiet = false, CancellationToken cancellationToken = default)
    {
        if (Directory.Exists(argument)) return argument; // no Hub options (nor their variables) needed
        if (LooksLocal(argument))
            throw new SieveFormatException(File.Exists(argument)
                ? $"--model '{UsageError.Echo(argument)}' is a file; give the model folder that holds it"
                : $"model folder '{UsageError.Echo(argument)}' does not exist (not tried as a Hub id: it reads as a local path)");
        try
        {
            return await CliProgress.DownloadAsync(quiet, progress => HubModel.ResolveAsync(argument, Hub(), progress, cancellationToken));
        }
        catch (HubException e)
        {
            throw new HubException($"no local model folder '{UsageError.Echo(argument)}', and as a Hub repository id: {e.Message}", e);
        }
    }

    /// <summary>
    /// Whether a model argument that is not an existing folder is meant as a local path: it starts with <c>/</c>,
    /// <c>./</c>, <c>../</c> or <c>~</c>, has more than one slash or a backslash, or its first part (the Hub
    /// organisation) is an existing local folder, as in <c>models/clip-smal</c> typed in a folder holding <c>models/</c>.
    /// </summary>
    internal static bool LooksLocal(string argument) =>
        argument.StartsWith('/') || argument.StartsWith("./", StringComparison.Ordinal) || argument.StartsWith("../", StringComparison.Ordinal)
        || argument.StartsWith('~') || argument.Contains('\\') || argument.Count(c => c == '/') > 1
        || (argument.IndexOf('/') is > 0 and int slash && Directory.Exists(argument[..slash]));

    public static Option<int> Top() => NumberOptions.Integer("--top", "How many classes to show per image", 5, 1, 1000);

    public static Option<int?> Threads() =>
        NumberOptions.OptionalInteger("--threads", "Most threads to use (default: all cores); results do not depend on it", 1, 1024);

    /// <summary><c>--precision fp32|int8</c>: the arithmetic of the model's transformer-block linear layers (<see cref="Tensors.Precision"/>).</summary>
    public static Option<Precision> Precision() => new("--precision")
    {
        HelpName = "fp32|int8",
        Description = "Block linear layers in fp32 (default) or int8 (weights quantized per channel at load, activations per token)",
        DefaultValueFactory = _ => Tensors.Precision.Float32,
        CustomParser = r => r.Tokens[^1].Value switch
        {
            "fp32" => Tensors.Precision.Float32,
            "int8" => Tensors.Precision.Int8,
            var other => Error(r, $"--precision must be fp32 or int8, got '{UsageError.Echo(other)}'"),
        },
    };

    /// <summary>How <c>--precision</c> spells <paramref name="precision"/>.</summary>
    public static string PrecisionName(Precision precision) => precision == Tensors.Precision.Int8 ? "int8" : "fp32";

    static Precision Error(System.CommandLine.Parsing.ArgumentResult r, string message)
    {
        r.AddError(message);
        return default;
    }

    /// <summary><c>--reducer SPEC</c>: token reduction for every command that runs a model.</summary>
    public static Option<string> Reducer() => new("--reducer", "-r")
    {
        Description = "Token reducer: none, tome (= tome:r=13), crossget (= crossget:r=16), madtp:t=…, or vision=…;text=… per tower",
        DefaultValueFactory = _ => "none",
    };

    /// <summary><c>--guidance FILE</c>: fitted reducer guidance, beside every <c>--reducer</c>.</summary>
    public static Option<string?> Guidance() => new("--guidance") { Description = "Fitted guidance file (.safetensors: CrossGET cross-token offsets, MADTP alignment tokens)" };

    /// <summary>
    /// Parses <c>--reducer</c> and loads <c>--guidance</c>, refusing guidance fitted for another model than the one in
    /// <paramref name="modelDirectory"/>, and a <c>text=…</c> spec where no text tower runs (<paramref name="textTower"/>
    /// false: a classifier, or a command that runs the image tower only); MADTP needs an explicit temperature unless the command
    /// <paramref name="calibrates"/> compute targets (eval, sweep).
    /// </summary>
    public static (Sieve.Reduction.ModelReduction Spec, Sieve.Reduction.ReductionGuidance? Guidance) Reduction(string spec, string? guidance, string? modelDirectory = null,
        bool textTower = true, bool calibrates = false)
    {
        var parsed = Sieve.Reduction.ModelReduction.Parse(spec);
        if (!textTower && !parsed.Text.IsNone && parsed.Text != parsed.Vision)
            throw new ArgumentException($"--reducer '{UsageError.Echo(spec)}': no text tower runs here, so text=… cannot apply; give vision=… or one spec");
        foreach (var tower in new[] { parsed.Vision, parsed.Text })
            if (!calibrates && tower is Sieve.Reduction.MadtpSpec { NeedsCalibration: true })
                throw new ArgumentException($"--reducer '{tower}': a compute target needs calibration on a labelled set (sieve eval); give a temperature here, madtp:t=…");
        return (parsed, guidance == null ? null : Sieve.Reduction.ReductionGuidance.Load(guidance, modelDirectory));
    }

    /// <summary>
    /// The library's refusal of a merge schedule that asks for more than an image tower's patches can give
    /// (<see cref="TowerHooks.CheckFits"/>, which <c>WithReduction</c> applies too), before any work and naming the option.
    /// </summary>
    public static void CheckMerges(Sieve.Reduction.ReducerSpec spec, ITower tower)
    {
        try { TowerHooks.CheckFits(spec, tower); }
        catch (ArgumentException e) { throw new ArgumentException($"--reducer '{spec}': {e.Message}"); }
    }

    public static void ApplyThreads(int? threads)
    {
        if (threads is int t) Sieve.Tensors.Threading.MaxThreads = t;
    }

    /// <summary>Expands each argument: a folder gives its images (sorted), a file is itself.</summary>
    public static IReadOnlyList<string> ExpandImages(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var found = Directory.EnumerateFiles(input)
                    .Where(Sieve.Data.ImageDecoder.HasImageExtension)
                    .Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new SieveFormatException($"folder '{input}' holds no {string.Join("/", Sieve.Data.ImageDecoder.FolderExtensions)} images");
                files.AddRange(found);
            }
            else if (File.Exists(input)) files.Add(input);
            else throw new SieveFormatException($"image '{input}' does not exist");
        }
        return files;
    }
}
