using System.Globalization;
using Sieve.Reduction;
using Sieve.Weights;

namespace Sieve.Fitting;

/// <summary>Writes fitted guidance as the safetensors file <see cref="ReductionGuidance"/> loads, with its model and hyper-parameters as metadata.</summary>
internal static class GuidanceFile
{
    /// <summary>Writes <paramref name="parameters"/> of <paramref name="objective"/> to <paramref name="path"/> (atomically).</summary>
    /// <param name="path">The file.</param>
    /// <param name="objective">What was fitted (names the tensors).</param>
    /// <param name="parameters">The fitted parameters.</param>
    /// <param name="target">The model: its name and fingerprint go into the metadata, so other models refuse the file.</param>
    /// <param name="details">Further metadata: reducer, hyper-parameters, losses.</param>
    public static void Save(string path, IFitObjective objective, double[] parameters, FitTarget target, IReadOnlyDictionary<string, string> details)
    {
        var writer = new SafetensorsWriter();
        foreach (var (name, (shape, data)) in objective.Guidance(parameters)) writer.Add(name, shape, data);
        foreach (var (key, value) in details) writer.AddMetadata(key, value);
        writer.AddMetadata(ReductionGuidance.ModelKey, target.Name)
            .AddMetadata(ReductionGuidance.FingerprintKey, target.Fingerprint)
            .AddMetadata("method", objective.Method)
            .Save(path);
    }

    /// <summary>The hyper-parameters of <paramref name="options"/> as metadata entries.</summary>
    public static Dictionary<string, string> Describe(FitOptions options) => new()
    {
        ["epochs"] = Text(options.Epochs),
        ["lr"] = Text(options.LearningRate),
        ["weight_decay"] = Text(options.WeightDecay),
        ["batch_size"] = Text(options.BatchSize),
        ["hold_out"] = Text(options.HoldOut),
        ["patience"] = Text(options.Patience),
        ["seed"] = Text(options.Seed),
    };

    /// <summary>A number as invariant text (round-trips).</summary>
    public static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
