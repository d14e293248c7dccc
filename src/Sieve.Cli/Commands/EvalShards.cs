using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sieve.Eval;
using Sieve.Weights;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve eval --shard I/N --out PART</c>'s files and <c>--merge</c>: a part is a safetensors file with the evidence
/// of its items (<see cref="TaskEvidence"/>) and a header saying which job it belongs to — task, model fingerprint,
/// data, reducers as run, precision — and which shard it is. The merge checks that the parts make one whole job, every
/// shard exactly once, joins their evidence and scores it once, as the unsharded run does.
/// </summary>
internal static class EvalShards
{
    const string HeaderKey = "evalShard";

    static readonly JsonSerializerOptions Json = new()
        { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true };

    /// <summary>What a part says about its job and itself.</summary>
    /// <param name="Task">The --task.</param>
    /// <param name="Model">The --model as given (not compared: machines may keep the model in different places).</param>
    /// <param name="Fingerprint">The model's <see cref="ModelFingerprint"/>.</param>
    /// <param name="Data">The data's identity (<see cref="DataIdentity"/>).</param>
    /// <param name="Reducers">The reducers as run, dense first (a MADTP target with its calibrated temperature).</param>
    /// <param name="Precision">The --precision.</param>
    /// <param name="Shard">This part, I/N.</param>
    /// <param name="Inputs">The whole job's items.</param>
    /// <param name="Start">This part's first item.</param>
    /// <param name="End">The item after its last.</param>
    /// <param name="ItemName">What an item is, plural.</param>
    /// <param name="Title">The report's title.</param>
    /// <param name="Note">The report's footnote on the columns.</param>
    /// <param name="Facts">Facts about the data for the JSON report.</param>
    /// <param name="Seconds">Per reducer, the seconds this part's forwards took.</param>
    /// <param name="GMacs">Per reducer, this part's mean multiply-adds per item as executed, in billions.</param>
    /// <param name="Threads">The threads this part ran on.</param>
    internal sealed record Header(string Task, string Model, string Fingerprint, string Data, string[] Reducers, string Precision, string Shard, int Inputs,
        int Start, int End, string ItemName, string Title, string Note, Dictionary<string, JsonElement> Facts, double[] Seconds, double[] GMacs, int Threads);

    /// <summary>Writes a part: <paramref name="header"/> and <paramref name="evidence"/>.</summary>
    public static void Write(string path, Header header, ITaskEvidence evidence) =>
        TaskEvidence.Write(evidence, new SafetensorsWriter()).AddMetadata(HeaderKey, JsonSerializer.Serialize(header, Json)).Save(path);

    /// <summary>
    /// The identity of a task's data, the same on every machine that holds a copy: SHA-256 over a data file's bytes, or a
    /// folder's file names and sizes, and the options that choose the items (--classes' bytes, --split, --limit, --template) or the captions' prompt (--prompt).
    /// </summary>
    public static string DataIdentity(EvalTasks.Options o)
    {
        var text = new StringBuilder();
        text.Append("data:").Append(Contents(o.Data)).Append("\nclasses:").Append(o.Classes == null ? "" : Contents(o.Classes))
            .Append("\nsplit:").Append(o.Split).Append("\nlimit:").Append(o.Limit).Append("\ntemplates:").Append(string.Join('\n', o.Templates ?? [])).Append("\nprompt:").Append(o.Prompt);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));

        static string Contents(string path)
        {
            if (File.Exists(path))
            {
                using var stream = File.OpenRead(path);
                return Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            if (!Directory.Exists(path)) return "";
            var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Select(f => $"{Path.GetRelativePath(path, f)}:{new FileInfo(f).Length}").Order(StringComparer.Ordinal);
            return string.Join('\n', files);
        }
    }

    /// <summary>Reads the parts, checks that they make one whole job, and returns the first part's header and the joined evidence.</summary>
    public static (Header Header, ITaskEvidence Evidence) Merge(IReadOnlyList<string> files)
    {
        var parts = files.Select(Read).OrderBy(p => p.Shard.Index).ToList();
        var first = parts[0];
        foreach (var part in parts)
        {
            var (h, f) = (part.Header, first.Header);
            foreach (var (field, mine, theirs) in new (string, string, string)[]
                     {
                         ("task", h.Task, f.Task), ("model fingerprint", h.Fingerprint, f.Fingerprint), ("data", h.Data, f.Data),
                         ("reducers", string.Join(", ", h.Reducers), string.Join(", ", f.Reducers)), ("precision", h.Precision, f.Precision),
                         ("items", h.Inputs.ToString(), f.Inputs.ToString()), ("shard count", part.Shard.Count.ToString(), first.Shard.Count.ToString()),
                     })
                if (mine != theirs)
                    throw new SieveFormatException($"--merge: '{part.File}' has {field} {Short(mine)}, '{first.File}' {Short(theirs)}: not parts of one job");
            var (start, end) = part.Shard.Range(h.Inputs);
            if (h.Start != start || h.End != end || part.Evidence.Items != end - start)
                throw new SieveFormatException($"--merge: '{part.File}' holds the evidence of {part.Evidence.Items} {h.ItemName} ({h.Start}–{h.End}); " +
                                               $"shard {part.Shard} of {h.Inputs} {h.ItemName} is {start}–{end}");
        }
        Shard.CheckComplete([.. parts.Select(p => p.Shard)]);
        try
        {
            return (first.Header, TaskEvidence.Join([.. parts.Select(p => p.Evidence)]));
        }
        catch (SieveFormatException e)
        {
            throw new SieveFormatException($"--merge: {e.Message}");
        }
    }

    /// <summary>A long value (a fingerprint) cut to its first 16 characters for a message.</summary>
    static string Short(string value) => value.Length > 20 ? value[..16] + "…" : $"'{value}'";

    sealed record Part(string File, Header Header, Shard Shard, ITaskEvidence Evidence);

    static Part Read(string file)
    {
        if (!File.Exists(file)) throw new SieveFormatException($"--merge: '{file}' does not exist");
        using var tensors = SafetensorsFile.Open(file);
        if (!tensors.Metadata.TryGetValue(HeaderKey, out var json)) throw new SieveFormatException($"--merge: '{file}' is not the output of `sieve eval --shard`");
        Header header;
        try
        {
            header = JsonSerializer.Deserialize<Header>(json, Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new SieveFormatException($"--merge: '{file}' has a damaged '{HeaderKey}' header: {e.Message}");
        }
        var shard = Shard.Parse(header.Shard, $"--merge: '{file}' has shard");
        ITaskEvidence evidence;
        try
        {
            evidence = TaskEvidence.Read(header.Task, tensors);
        }
        catch (SieveFormatException e)
        {
            throw new SieveFormatException($"--merge: '{file}': {e.Message}");
        }
        if (!evidence.Reducers.SequenceEqual(header.Reducers))
            throw new SieveFormatException($"--merge: '{file}' has evidence of reducers {string.Join(", ", evidence.Reducers)} under a header of {string.Join(", ", header.Reducers)}");
        return new Part(file, header, shard, evidence);
    }
}
