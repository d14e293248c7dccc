using System.CommandLine;
using Sieve.Hub;

namespace Sieve.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class CliOptions
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "Model folder (config.json + model.safetensors or its shards, + vocab.json, merges.txt for CLIP text), or a Hub repository id like org/name",
        Required = true,
    };

    /// <summary><c>--allow-truncated-images</c>, which every command accepts (it is added to the root, recursively).</summary>
    public static Option<bool> AllowTruncatedImages() => new("--allow-truncated-images")
    {
        Description = "Decode a JPEG or PNG that is cut short or damaged as far as it goes, instead of refusing it",
        Recursive = true,
    };

    // The flag of the current run; an AsyncLocal so that runs on parallel threads (tests) do not see each
    // other's, while the parallel loops of one run inherit it.
    static readonly AsyncLocal<bool> AllowDamagedImages = new();

    /// <summary>Sets, for the current run, whether <see cref="DecodeImage"/> decodes damaged images.</summary>
    public static void SetAllowDamagedImages(bool allow) => AllowDamagedImages.Value = allow;

    /// <summary>Decodes an image file, refusing a damaged one unless the run has <c>--allow-truncated-images</c>.</summary>
    public static Sieve.Data.RgbImage DecodeImage(string path) => Sieve.Data.ImageDecoder.Decode(path, AllowDamagedImages.Value);

    /// <summary>Where <c>--model</c> repository ids are pulled from; tests point it at a local fake Hub.</summary>
    internal static Func<HubOptions> Hub { get; set; } = HubOptions.FromEnvironment;

    /// <summary>
    /// The folder a <c>--model</c> argument names: the folder itself, or the snapshot of a Hub repository id,
    /// downloaded (with a progress bar unless <paramref name="quiet"/>) when the cache lacks it.
    /// </summary>
    public static string ResolveModel(string argument, bool quiet = false) =>
        CliProgress.Download(quiet, progress => HubModel.Resolve(argument, Hub(), progress));

    public static Option<int> Top() => new("--top")
    {
        Description = "How many classes to show per image",
        DefaultValueFactory = _ => 5,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--top must be at least 1"); } },
    };

    public static Option<int?> Threads() => new("--threads")
    {
        Description = "Most threads to use (default: all cores); results do not depend on it",
        Validators = { r => { if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--threads must be at least 1"); } },
    };

    /// <summary><c>--reducer SPEC</c>: token reduction for every command that runs a model.</summary>
    public static Option<string> Reducer() => new("--reducer", "-r")
    {
        Description = "Token reducer: none, tome:r=13, crossget:r=16, madtp:t=…, or vision=…;text=… per tower",
        DefaultValueFactory = _ => "none",
    };

    /// <summary><c>--guidance FILE</c>: fitted reducer guidance, beside every <c>--reducer</c>.</summary>
    public static Option<string?> Guidance() => new("--guidance") { Description = "Fitted guidance file (.safetensors: CrossGET cross-token offsets, MADTP alignment tokens)" };

    /// <summary>
    /// Parses <c>--reducer</c> and loads <c>--guidance</c>, refusing guidance fitted for another model than the one in
    /// <paramref name="modelDirectory"/>; MADTP needs an explicit temperature outside eval/sweep.
    /// </summary>
    public static (Sieve.Reduction.ReductionSpec Spec, Sieve.Reduction.ReductionGuidance? Guidance) Reduction(string spec, string? guidance, string? modelDirectory = null)
    {
        var parsed = Sieve.Reduction.ReductionSpec.Parse(spec);
        foreach (var tower in new[] { parsed.Vision, parsed.Text })
            if (tower.NeedsCalibration)
                throw new ArgumentException($"--reducer '{tower}': a compute target needs calibration on a labelled set (sieve eval); give a temperature here, madtp:t=…");
        return (parsed, guidance == null ? null : Sieve.Reduction.ReductionGuidance.Load(guidance, modelDirectory));
    }

    public static void ApplyThreads(int? threads)
    {
        if (threads is int t) Sieve.Tensors.Threading.MaxThreads = t;
    }

    /// <summary>Machine-readable output (JSON): straight to the console's writer, no markup, no wrapping.</summary>
    public static void WriteRaw(string text) => Spectre.Console.AnsiConsole.Profile.Out.Writer.WriteLine(text);

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
