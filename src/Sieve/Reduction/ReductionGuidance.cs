using Sieve.Nn;
using Sieve.Weights;

namespace Sieve.Reduction;

/// <summary>
/// Fitted guidance loaded next to a model (a small safetensors file): CrossGET cross-token offsets
/// <c>crossget.{tower}.offsets</c> [layers, width] and MADTP alignment tokens <c>madtp.tokens</c>
/// [M, D_s] with optional per-layer maps <c>madtp.{tower}.maps</c> [layers, D_s, width].
/// </summary>
public sealed class ReductionGuidance
{
    readonly Dictionary<string, (int[] Shape, float[] Data)> _tensors;

    ReductionGuidance(string path, Dictionary<string, (int[], float[])> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Where it was loaded from (for messages).</summary>
    public string Path { get; }

    /// <summary>The file's metadata (model name, fitting hyper-parameters).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Metadata key of the name of the model the guidance was fitted for.</summary>
    public const string ModelKey = "model";

    /// <summary>Metadata key of that model's <see cref="ModelFingerprint"/>.</summary>
    public const string FingerprintKey = "model_fingerprint";

    /// <summary>
    /// Loads a guidance file; tensors other than the ones above are refused by name, and so are NaN or ±∞ values. With
    /// <paramref name="modelDirectory"/>, a file fitted for another model is refused (<see cref="CheckModel"/>).
    /// </summary>
    public static ReductionGuidance Load(string path, string? modelDirectory = null)
    {
        var guidance = Read(path);
        if (modelDirectory != null) guidance.CheckModel(modelDirectory);
        return guidance;
    }

    /// <summary>
    /// Refuses guidance whose metadata names another checkpoint than the one in <paramref name="modelDirectory"/>
    /// (fingerprints differ). Files without a fingerprint (made by hand) are accepted.
    /// </summary>
    public void CheckModel(string modelDirectory)
    {
        if (!Metadata.TryGetValue(FingerprintKey, out var fitted)) return;
        string given = ModelFingerprint.Of(modelDirectory);
        if (given != fitted)
            throw new SieveFormatException(
                $"{Path}: guidance was fitted for model '{Metadata.GetValueOrDefault(ModelKey, "?")}' (fingerprint {fitted[..Math.Min(12, fitted.Length)]}), " +
                $"not for the model given, {modelDirectory} (fingerprint {given[..12]}); fit guidance for it with sieve fit-guidance");
    }

    static ReductionGuidance Read(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var tensors = new Dictionary<string, (int[], float[])>();
        foreach (var (name, info) in file.Tensors)
        {
            if (!GuidanceTensors.IsGuidance(name)) throw new SieveFormatException($"{path}: tensor '{name}' is not guidance (expected {GuidanceTensors.Expected})");
            var values = file.ReadFloats(name);
            FiniteValues.Require(values, name, path, info.Shape.AsSpan());
            tensors[name] = (info.Shape.ToArray(), values);
        }
        return new ReductionGuidance(path, tensors, file.Metadata);
    }

    /// <summary>Builds guidance in memory (tests, fitting).</summary>
    public static ReductionGuidance FromTensors(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> tensors, string name = "(in memory)") =>
        new(name, tensors.ToDictionary(p => p.Key, p => (p.Value.Shape, p.Value.Data)), new Dictionary<string, string>());

    /// <summary>The tower's fitted cross-token offsets [layers × width], or null when the file has none.</summary>
    public float[]? CrossTokenOffsets(TowerInfo tower) => Find(GuidanceTensors.CrossTokenOffsets(tower.Name), tower.Layers, tower.Width);

    /// <summary>The alignment tokens, or null when the file has none.</summary>
    internal MagTokens? MagTokens => _tensors.TryGetValue(GuidanceTensors.MagTokens, out var t)
        ? t.Shape.Length == 2 ? new MagTokens(t.Data, t.Shape[0], t.Shape[1]) : throw Shape(GuidanceTensors.MagTokens, t.Shape, "[M, D_s]")
        : null;

    /// <summary>The tower's maps to the alignment width, or null.</summary>
    public float[]? MagMaps(TowerInfo tower) => MagTokens is { } mag ? Find(GuidanceTensors.MagMaps(tower.Name), tower.Layers, mag.Width, tower.Width) : null;

    float[]? Find(string name, params int[] shape)
    {
        if (!_tensors.TryGetValue(name, out var t)) return null;
        return t.Shape.AsSpan().SequenceEqual(shape) ? t.Data : throw Shape(name, t.Shape, $"[{string.Join(", ", shape)}]");
    }

    SieveFormatException Shape(string name, int[] shape, string expected) =>
        new($"{Path}: guidance tensor '{name}' has shape [{string.Join(", ", shape)}], expected {expected} for this model");
}
