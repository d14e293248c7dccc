using System.Text.Json;
using Sieve.Weights;

namespace Sieve.Tests.Support;

/// <summary>Turns a folder's <c>model.safetensors</c> into shards plus <c>model.safetensors.index.json</c>, as large Hub checkpoints come.</summary>
public static class Shards
{
    /// <summary>Splits the tensors round-robin over <paramref name="count"/> shards and deletes the single file; returns the shard names.</summary>
    public static string[] Split(string directory, int count)
    {
        string single = Path.Combine(directory, CheckpointFiles.SingleFile);
        var names = Enumerable.Range(1, count).Select(i => $"model-{i:D5}-of-{count:D5}.safetensors").ToArray();
        var writers = names.Select(_ => new SafetensorsWriter()).ToArray();
        var weightMap = new Dictionary<string, string>();
        using (var file = SafetensorsFile.Open(single))
        {
            int i = 0;
            foreach (var (name, info) in file.Tensors)
            {
                writers[i % count].Add(name, info.Shape.AsSpan(), file.ReadFloats(name), info.DType);
                weightMap[name] = names[i % count];
                i++;
            }
        }
        for (int i = 0; i < count; i++) writers[i].Save(Path.Combine(directory, names[i]));
        File.WriteAllText(Path.Combine(directory, CheckpointFiles.IndexFile),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));
        File.Delete(single);
        return names;
    }
}
