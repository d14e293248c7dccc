using System.Text.Json;
using Sieve.Weights;

namespace Sieve.Eval;

/// <summary>
/// Joins the evidence of a task's parts (<see cref="ITaskEvidence"/>) and keeps it in a safetensors file: the whole-number
/// parts (answers, labels, multiply-adds, times) as JSON in the metadata, the embeddings as F32 tensors, so that a
/// part read back is the part written, bit for bit.
/// </summary>
internal static class TaskEvidence
{
    /// <summary>The tasks whose evidence splits over items (<see cref="IEvidenceEvaluation"/>).</summary>
    public static readonly IReadOnlyList<string> Tasks = ["classify", "zeroshot", "embedding", "retrieval", "caption", "vqa"];

    const string JsonKey = "evidence";
    // A missing or null part of the JSON is refused while it is read, not met later as a null.
    static readonly JsonSerializerOptions Json = new()
        { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true };

    /// <summary>The evidence of consecutive parts of one task's items, in order, as the evidence of them all.</summary>
    public static ITaskEvidence Join(IReadOnlyList<ITaskEvidence> parts) => parts[0] switch
    {
        ClassifierEvidence => ClassifierEvidence.Join([.. parts.Cast<ClassifierEvidence>()]),
        ZeroShotEvidence => ZeroShotEvidence.Join([.. parts.Cast<ZeroShotEvidence>()]),
        RetrievalEvidence => RetrievalEvidence.Join([.. parts.Cast<RetrievalEvidence>()]),
        CaptionEvidence => CaptionEvidence.Join([.. parts.Cast<CaptionEvidence>()]),
        VqaEvidence => VqaEvidence.Join([.. parts.Cast<VqaEvidence>()]),
        EmbeddingEvidence => EmbeddingEvidence.Join([.. parts.Cast<EmbeddingEvidence>()]),
        var other => throw new ArgumentException($"no join for {other.GetType().Name}", nameof(parts)),
    };

    /// <summary>Per reducer, the parts' per-item lists (<paramref name="of"/> a part, reducer by reducer) joined in part order.</summary>
    public static T[][] JoinItems<TPart, T>(IReadOnlyList<TPart> parts, Func<TPart, T[][]> of) =>
        [.. Enumerable.Range(0, of(parts[0]).Length).Select(s => parts.SelectMany(p => of(p)[s]).ToArray())];

    /// <summary>Per reducer, the parts' seconds summed: work time, not a measurement of one machine.</summary>
    public static double[] SumSeconds<TPart>(IReadOnlyList<TPart> parts, Func<TPart, double[]> of) =>
        [.. Enumerable.Range(0, of(parts[0]).Length).Select(s => parts.Sum(p => of(p)[s]))];

    /// <summary>Adds <paramref name="evidence"/> to a file being written.</summary>
    public static SafetensorsWriter Write(ITaskEvidence evidence, SafetensorsWriter writer)
    {
        switch (evidence)
        {
            case ClassifierEvidence or ZeroShotEvidence or CaptionEvidence or VqaEvidence:
                writer.AddMetadata(JsonKey, JsonSerializer.Serialize(evidence, evidence.GetType(), Json));
                break;
            case EmbeddingEvidence e:
                writer.AddMetadata(JsonKey, JsonSerializer.Serialize(new EmbeddingNumbers(e.Reducers, e.Macs, e.Seconds), Json));
                for (int s = 0; s < e.Reducers.Length; s++) AddRows(writer, $"embeddings.{s}", e.Embeddings[s]);
                break;
            case RetrievalEvidence r:
                writer.AddMetadata(JsonKey, JsonSerializer.Serialize(new RetrievalNumbers(r.Reducers, r.ImageOfText, r.TextIds, r.ImageMacs, r.TextMacs, r.Seconds), Json));
                for (int s = 0; s < r.Reducers.Length; s++)
                {
                    AddRows(writer, $"images.{s}", r.ImageEmbeddings[s]);
                    AddRows(writer, $"texts.{s}", r.TextEmbeddings[s]);
                }
                break;
            default:
                throw new ArgumentException($"no file form for {evidence.GetType().Name}", nameof(evidence));
        }
        return writer;
    }

    /// <summary>Reads the evidence of <paramref name="task"/> that <see cref="Write"/> put in <paramref name="file"/>.</summary>
    /// <exception cref="SieveFormatException">The file holds no such evidence, or evidence whose parts do not fit together (the message says what, not which file).</exception>
    public static ITaskEvidence Read(string task, SafetensorsFile file)
    {
        if (!file.Metadata.TryGetValue(JsonKey, out var json)) throw new SieveFormatException($"no '{JsonKey}' in its metadata");
        string? wrong;
        ITaskEvidence evidence;
        switch (task)
        {
            case "classify":
                var c = Parse<ClassifierEvidence>(json);
                (evidence, wrong) = (c, c.Inconsistency());
                break;
            case "zeroshot":
                var z = Parse<ZeroShotEvidence>(json);
                (evidence, wrong) = (z, z.Inconsistency());
                break;
            case "caption":
                var t = Parse<CaptionEvidence>(json);
                (evidence, wrong) = (t, t.Inconsistency());
                break;
            case "vqa":
                var v = Parse<VqaEvidence>(json);
                (evidence, wrong) = (v, v.Inconsistency());
                break;
            case "embedding":
                var m = Parse<EmbeddingNumbers>(json);
                if (m.Reducers.Length == 0 || m.Macs.Length != m.Reducers.Length || m.Macs.Any(x => x is null)) throw new SieveFormatException($"'{JsonKey}': {m.Reducers.Length} reducers but {m.Macs.Length} lists of multiply-adds");
                var e = new EmbeddingEvidence(m.Reducers, [.. Enumerable.Range(0, m.Reducers.Length).Select(s => ReadRows(file, $"embeddings.{s}", m.Macs[s].Length))], m.Macs, m.Seconds);
                (evidence, wrong) = (e, e.Inconsistency());
                break;
            case "retrieval":
                var n = Parse<RetrievalNumbers>(json);
                if (n.ImageMacs.Length != n.Reducers.Length || n.Reducers.Length == 0 || n.ImageMacs.Concat(n.TextMacs).Any(m => m is null)) throw new SieveFormatException($"'{JsonKey}': {n.Reducers.Length} reducers but {n.ImageMacs.Length} lists of multiply-adds");
                var r = new RetrievalEvidence(n.Reducers, n.ImageOfText, n.TextIds,
                    [.. Enumerable.Range(0, n.Reducers.Length).Select(s => ReadRows(file, $"images.{s}", n.ImageMacs[s].Length))],
                    [.. Enumerable.Range(0, n.Reducers.Length).Select(s => ReadRows(file, $"texts.{s}", n.TextIds.Length))],
                    n.ImageMacs, n.TextMacs, n.Seconds);
                (evidence, wrong) = (r, r.Inconsistency());
                break;
            default:
                throw new SieveFormatException($"task '{task}' has no evidence that splits over items; {string.Join(", ", Tasks)} do");
        }
        return wrong == null ? evidence : throw new SieveFormatException($"'{JsonKey}': {wrong}");
    }

    /// <summary>The whole-number parts of <see cref="EmbeddingEvidence"/>, its embeddings being tensors.</summary>
    sealed record EmbeddingNumbers(string[] Reducers, long[][] Macs, double[] Seconds);

    /// <summary>The whole-number parts of <see cref="RetrievalEvidence"/>, its embeddings being tensors.</summary>
    sealed record RetrievalNumbers(string[] Reducers, int[] ImageOfText, int[] TextIds, long[][] ImageMacs, long[][] TextMacs, double[] Seconds);

    static T Parse<T>(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json) ?? throw new SieveFormatException($"'{JsonKey}' is null");
        }
        catch (JsonException e)
        {
            throw new SieveFormatException($"'{JsonKey}' is not the evidence it should be: {e.Message}");
        }
    }

    static void AddRows(SafetensorsWriter writer, string name, float[][] rows)
    {
        int dim = rows[0].Length;
        var flat = new float[rows.Length * dim];
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(flat, i * dim);
        writer.Add(name, [rows.Length, dim], flat);
    }

    static float[][] ReadRows(SafetensorsFile file, string name, int rows)
    {
        if (!file.Contains(name)) throw new SieveFormatException($"no tensor '{name}'");
        var shape = file.Get(name).Shape;
        if (shape.Length != 2 || shape[0] != rows) throw new SieveFormatException($"tensor '{name}' has shape [{string.Join(", ", shape)}]; expected [{rows}, dim]");
        var flat = file.ReadFloats(name);
        return [.. Enumerable.Range(0, rows).Select(i => flat.AsSpan(i * shape[1], shape[1]).ToArray())];
    }
}
