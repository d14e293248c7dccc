using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sieve.Eval;

namespace Sieve.Cli.Commands;

/// <summary>The options <c>eval</c>, <c>sweep</c> and <c>tune</c> share, made once here so they read the same everywhere.</summary>
internal static class EvalOptions
{
    public static Option<string> Data() => new("--data", "-d") { Description = "classify/zeroshot: ImageNet-style folder (WNID_name.JPEG images + classes.json or imagenet-classes.json with \"wnids\"); embedding: images (folder or file); retrieval: captions JSON; vqa: VQAv2 questions JSON", Required = true };

    public static Option<string?> Classes() => new("--classes") { Description = "Class list JSON (\"wnids\" in the model's output order); default: found in or beside the folder" };

    public static Option<int?> Limit() => NumberOptions.OptionalInteger("--limit", "Evaluate only the first N items: images (retrieval: with all their captions), or questions (vqa)", 1, int.MaxValue);

    public static Option<int> Calibration() =>
        NumberOptions.Integer("--calibration", "Items used to calibrate a MADTP compute target into a temperature (the first N)", 32, 1, int.MaxValue);

    public static Option<bool> Json() => new("--json") { Description = "Print the results as JSON" };

    public static Option<string> Task() => new("--task") { Description = $"{EvalTasks.Names}: classify (labelled ImageNet-style folder, ViT), zeroshot (the same with CLIP and prompts), embedding (fidelity to dense without labels), retrieval (image–text, COCO or Karpathy captions JSON; CLIP or BLIP by cosine, ViLT by its matching head), vqa (ViLT's VQA head on VQAv2 questions and annotations), caption (BLIP captioning: CIDEr-D and BLEU-4 against COCO or Karpathy captions)", DefaultValueFactory = _ => "classify" };

    public static Option<string?> Texts() => new("--texts") { Description = "embedding: also a text file, one text per line, through CLIP's text tower" };

    public static Option<string?> Split() => new("--split") { Description = "retrieval: the split of a Karpathy JSON (default test)" };

    public static Option<string?> ImageRoot() => new("--image-root") { Description = "retrieval: the folder the captions' images are in (default: COCO's layout beside the JSON); vqa: the images' folder (default: the questions JSON's)" };

    public static Option<string?> Annotations() => new("--annotations") { Description = "vqa: the VQAv2 annotations JSON with ten human answers per question (and answer_type)" };

    public static Option<string?> ImageMap() => new("--image-map") { Description = "vqa: a JSON object {\"image id\": \"file\"}, files relative to --image-root (default: COCO's file names)" };

    public static Option<int?> Negatives() => NumberOptions.OptionalInteger("--negatives",
        $"retrieval with ViLT: candidates per query besides its own (default {MatchingRetrievalEvaluation.DefaultNegatives}); pairs scored ≈ images × captions each + negatives × (images + captions)", 0, 100_000);

    public static Option<string?> Prompt() => new("--prompt") { Description = "caption: words every caption starts with, as BLIP's COCO captioner was trained (\"a picture of\"); default none" };

    public static Option<int?> Rerank() => NumberOptions.OptionalInteger("--rerank",
        "retrieval with BLIP: re-score each query's K best by cosine with the image–text matching head (its logit + the cosine), as BLIP's evaluation does (k_test 256 on COCO); default: cosine only", 1, 100_000);

    public static Option<string[]> Template() => new("--template") { Description = "zeroshot: a prompt template with {} for the class name, repeatable (default: the classes JSON's \"templates\", else CLIP's 7-prompt ensemble)" };

    public static Option<int> TimingImages() =>
        NumberOptions.Integer("--timing-images", "Items per timed run (the first N, held in memory); every reducer is timed on the same ones", 16, 1, 4096);

    public static Option<int> Rounds() =>
        NumberOptions.Integer("--rounds", "Timed rounds, each running every reducer once in rotated order after 2 warm-up rounds (rounded up to a multiple of the reducer count)", 10, 1, 10_000);

    /// <summary>Untimed rounds before the timed ones.</summary>
    internal const int WarmupRounds = 2;

    /// <summary>The speed settings given.</summary>
    public static SpeedOptions Speed(int timingItems, int rounds) => new(timingItems, rounds, WarmupRounds);

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary><see cref="JsonOptions"/>, leaving out null fields (a report's profiles when none were asked for).</summary>
    public static readonly JsonSerializerOptions JsonOptionsOmittingNulls = new(JsonOptions) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
}
