using System.Text.Json;
using Sieve.Weights;

namespace Sieve.Data;

/// <summary>
/// The tokens a Hugging Face tokenizer adds to its <c>vocab.txt</c> (BLIP's <c>[DEC]</c> and <c>[ENC]</c> after BERT's
/// 30,522): <c>tokenizer.json</c>'s <c>added_tokens</c> (what the fast tokenizer reads), else
/// <c>tokenizer_config.json</c>'s <c>added_tokens_decoder</c>; none when neither file has them.
/// </summary>
internal static class AddedTokens
{
    /// <summary>Each added token and its id, as the folder's tokenizer files state them.</summary>
    /// <exception cref="SieveFormatException">A file is not valid JSON, or an entry lacks its content or a non-negative id.</exception>
    public static IReadOnlyList<(string Token, int Id)> Read(string directory)
    {
        string fast = Path.Combine(directory, "tokenizer.json");
        if (InputFile.IsPresent(fast) && JsonConfig.Load(fast).Find("added_tokens") is { ValueKind: JsonValueKind.Array } list)
            return list.EnumerateArray().Select((entry, i) => Entry(fast, $"added_tokens[{i}]", entry, entry.TryGetProperty("id", out var id) ? id : null)).ToList();
        string config = Path.Combine(directory, "tokenizer_config.json");
        if (InputFile.IsPresent(config) && JsonConfig.Load(config).Find("added_tokens_decoder") is { ValueKind: JsonValueKind.Object } map)
            return map.EnumerateObject().Select(p => Entry(config, $"added_tokens_decoder.{p.Name}", p.Value,
                int.TryParse(p.Name, out int id) ? JsonDocument.Parse(id.ToString()).RootElement : null)).ToList();
        return [];
    }

    static (string, int) Entry(string file, string where, JsonElement entry, JsonElement? id)
    {
        if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String || content.GetString() is not { Length: > 0 } token)
            throw new SieveFormatException($"{file}: {where} must be an object with a non-empty \"content\" string");
        if (id is not { ValueKind: JsonValueKind.Number } number || !number.TryGetInt32(out int value) || value < 0)
            throw new SieveFormatException($"{file}: {where} must have a non-negative integer id");
        return (token, value);
    }
}
