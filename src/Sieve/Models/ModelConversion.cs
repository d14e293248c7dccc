using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>What <see cref="ModelConversion.Convert"/> wrote.</summary>
/// <param name="Checkpoint">The converted weights (and the layout mapping applied, if any).</param>
/// <param name="Guidance">The guidance tensors written to <see cref="ModelConversion.GuidanceFile"/>, by name; empty when none was written.</param>
/// <param name="LeftOut">Each source tensor not carried into the weights or the guidance, with why.</param>
internal sealed record ModelConversionResult(ConvertedCheckpoint Checkpoint, IReadOnlyList<string> Guidance, IReadOnlyDictionary<string, string> LeftOut);

/// <summary>
/// <c>sieve convert</c>'s work: a model folder Sieve loads, rewritten as one <c>model.safetensors</c> (names kept); or
/// a folder holding only another project's checkpoint (no <c>config.json</c>) — today the Salesforce BLIP / LAVIS
/// layout — mapped by name onto the Hugging Face layout, with the config read off its shapes, the methods' learned
/// parameters that fit written into a guidance file, and every tensor left out named with its reason.
/// </summary>
internal static class ModelConversion
{
    /// <summary>The guidance file written beside the converted weights when the checkpoint carries CrossGET or MADTP parameters.</summary>
    public const string GuidanceFile = "guidance.safetensors";

    /// <summary>Converts <paramref name="modelDirectory"/> into <paramref name="outDirectory"/> (new or empty).</summary>
    /// <exception cref="SieveFormatException">The folder holds no model Sieve loads and no checkpoint in a layout it maps.</exception>
    /// <exception cref="ArgumentException"><paramref name="outDirectory"/> exists and is not empty (nothing was written).</exception>
    public static ModelConversionResult Convert(string modelDirectory, string outDirectory)
    {
        CheckpointConversion.CheckEmpty(outDirectory);
        if (File.Exists(Path.Combine(modelDirectory, "config.json")) || !Directory.Exists(modelDirectory))
        {
            ModelFolder.Detect(modelDirectory); // a folder Sieve can load, before anything is written
            return new(CheckpointConversion.ToSafetensors(modelDirectory, outDirectory), [], new Dictionary<string, string>());
        }
        var converted = CheckpointConversion.ToSafetensors(modelDirectory, outDirectory, checkpoint => Recognise(checkpoint, modelDirectory));
        var mapping = converted.Mapping!;
        var config = BlipConfig.FromHuggingFace(JsonConfig.Load(Path.Combine(outDirectory, "config.json")));
        var parameters = mapping.LeftOut.Keys.Where(n => mapping.LeftOut[n] == SalesforceBlipLayout.MethodParameter).ToList();
        using var checkpoint = CheckpointFiles.Open(modelDirectory);
        var (guidance, notTaken) = ReleasedGuidance.Extract(checkpoint, parameters,
            new TowerInfo("vision", Modality.Image, config.Vision.Layers, config.Vision.Width, config.Vision.Heads),
            new TowerInfo("text", Modality.Text, config.Text.Layers, config.Text.Width, config.Text.Heads));
        var leftOut = mapping.LeftOut.Where(p => p.Value != SalesforceBlipLayout.MethodParameter).Concat(notTaken).ToDictionary();
        if (guidance.Count > 0)
        {
            var writer = new SafetensorsWriter();
            foreach (var (name, (shape, data)) in guidance.OrderBy(g => g.Key, StringComparer.Ordinal)) writer.Add(name, shape, data);
            writer.AddMetadata(ReductionGuidance.ModelKey, Path.GetFileName(Path.GetFullPath(outDirectory)))
                .AddMetadata(ReductionGuidance.FingerprintKey, ModelFingerprint.Of(outDirectory))
                .AddMetadata("source", checkpoint.Description)
                .Save(Path.Combine(outDirectory, GuidanceFile));
        }
        return new(converted, [.. guidance.Keys.Order(StringComparer.Ordinal)], leftOut);
    }

    static CheckpointMapping Recognise(CheckpointFiles checkpoint, string directory)
    {
        var names = checkpoint.Tensors.Select(t => t.Name).ToList();
        if (SalesforceBlipLayout.Matches(names)) return SalesforceBlipLayout.Map(checkpoint, directory);
        throw new SieveFormatException(
            $"{checkpoint.Description}: there is no config.json beside it, and its tensors ({string.Join(", ", names.Take(3))}{(names.Count > 3 ? ", …" : "")}) " +
            "are not in a layout Sieve maps (the Salesforce BLIP / LAVIS layout: visual_encoder.… with text_encoder.… or text_decoder.…); " +
            "give a folder with its Hugging Face config.json");
    }
}
