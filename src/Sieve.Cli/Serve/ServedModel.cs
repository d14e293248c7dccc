using Sieve.Cli.Commands;
using System.Collections.Concurrent;
using Sieve.Models;
using Sieve.Tensors;

namespace Sieve.Cli.Serve;

/// <summary>
/// The model a server runs: loaded once, and bound to each reducer spec a request names (weights shared, not
/// copied; the bindings of the first specs are kept for reuse).
/// </summary>
internal sealed class ServedModel
{
    /// <summary>Most reducer bindings kept; a request naming yet another spec binds its own for that request.</summary>
    const int CachedSpecs = 32;

    readonly ConcurrentDictionary<string, IModel> _bound = new(StringComparer.Ordinal);

    /// <summary>Loads the model in <paramref name="directory"/> and binds <paramref name="defaultReducer"/>, refusing a bad spec.</summary>
    /// <param name="id">The name responses give the model (the <c>--model</c> argument).</param>
    /// <param name="directory">The model folder.</param>
    /// <param name="precision">The blocks' arithmetic.</param>
    /// <param name="defaultReducer">The reducer of requests that name none.</param>
    /// <exception cref="ArgumentException">The default spec does not parse or does not fit the model.</exception>
    public ServedModel(string id, string directory, Precision precision, string defaultReducer)
    {
        (Id, Directory, DefaultReducer) = (id, directory, defaultReducer);
        (Family, Precision) = (ModelFolder.Detect(directory), precision);
        Dense = Family == ModelFamily.Blip && Generates(directory) ? BlipGenerator.Load(directory, precision) : ModelFolder.LoadAny(directory, precision);
        _bound[defaultReducer] = Bind(defaultReducer);
    }

    /// <summary>The model's name in responses.</summary>
    public string Id { get; }

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <summary>Which family the model is.</summary>
    public ModelFamily Family { get; }

    /// <summary>The blocks' arithmetic.</summary>
    public Precision Precision { get; }

    /// <summary>The model without reduction: for BLIP a <see cref="BlipModel"/> (retrieval) or a <see cref="BlipGenerator"/> (captioning, VQA).</summary>
    public IModel Dense { get; }

    /// <summary>The server's <c>--reducer</c>.</summary>
    public string DefaultReducer { get; }

    /// <summary>The model with <paramref name="spec"/> bound (null: the server's default); a 400 naming the spec when it is refused.</summary>
    public IModel Reduced(string? spec)
    {
        spec ??= DefaultReducer;
        if (_bound.TryGetValue(spec, out var model)) return model;
        try { model = Bind(spec); }
        catch (Exception e) when (UsageError.Message(e) is { } message)
        {
            throw ServeRequestException.Bad($"reducer: {message}", "reducer");
        }
        if (_bound.Count < CachedSpecs) _bound.TryAdd(spec, model);
        return model;
    }

    /// <summary>The image tower's reducer and guidance for <paramref name="spec"/> (null: the server's default); a 400 naming the spec when it is refused.</summary>
    public (Sieve.Reduction.ReducerSpec Spec, Sieve.Reduction.ReductionGuidance? Guidance) VisionReduction(string? spec)
    {
        try
        {
            var (reduction, guidance) = CliOptions.Reduction(spec ?? DefaultReducer, null, Directory, textTower: false);
            return (reduction.Vision, guidance);
        }
        catch (Exception e) when (UsageError.Message(e) is { } message)
        {
            throw ServeRequestException.Bad($"reducer: {message}", "reducer");
        }
    }

    /// <summary>
    /// Runs <paramref name="inputs"/> example inputs through each image tower in throughput mode, as a batch does, so
    /// that the first requests do not run code the JIT has not yet optimised (tiered compilation promotes hot methods
    /// only after they have run).
    /// </summary>
    public void WarmUp(int inputs)
    {
        foreach (var tower in Dense.Towers.Where(t => t.Info.Modality == Sieve.Nn.Modality.Image))
            Threading.ForEachSample(inputs, i => tower.Forward(tower.Example(i)));
    }

    IModel Bind(string spec)
    {
        var (reduction, _) = CliOptions.Reduction(spec, null, Directory, textTower: Dense.Towers.Any(t => t.Info.Modality == Sieve.Nn.Modality.Text));
        return Dense.WithReduction(reduction);
    }

    /// <summary>Whether a BLIP folder holds a captioning or VQA model (a text decoder and no <c>vision_proj</c>), as <see cref="BlipModel.Load"/> tells them apart.</summary>
    static bool Generates(string directory)
    {
        using var file = Sieve.Weights.CheckpointFiles.Open(directory);
        return !file.Contains(BlipLayout.Vision.Projection + ".weight") && file.Contains(BlipLayout.Decoder.Words);
    }
}
