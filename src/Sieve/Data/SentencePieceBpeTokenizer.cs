using System.Text;
using System.Text.Json;
using Sieve.Weights;

namespace Sieve.Data;

/// <summary>
/// A SentencePiece-style BPE tokenizer read from a Hugging Face <c>tokenizer.json</c> (Llama, LLaVA-1.5, Mistral): added
/// tokens split out first; each remaining piece gets "▁" for spaces and a leading "▁" (the <c>Prepend</c> + <c>Replace</c>
/// normalizer, or the <c>Metaspace</c> pre-tokenizer); then the BPE model merges characters by rank, characters outside the
/// vocabulary falling back to their UTF-8 bytes (<c>&lt;0xXX&gt;</c>) when <c>byte_fallback</c> is set, else to the unknown
/// token; the <c>TemplateProcessing</c> post-processor's special tokens (Llama's <c>&lt;s&gt;</c>) go around the result.
/// Decoding reverses it: bytes fused, "▁" as spaces, the first leading space stripped.
/// Byte-level BPE (GPT-2, Llama 3, Qwen) is refused with a clear error.
/// </summary>
internal sealed class SentencePieceBpeTokenizer
{
    const char Space = '▁';
    readonly Dictionary<string, int> _vocab;
    readonly string[] _pieces;
    readonly Dictionary<long, (int Rank, int Id)> _merges;
    readonly (string Content, int Id)[] _added; // longest first
    readonly HashSet<int> _special;
    readonly int[] _prefix, _suffix;
    readonly int _unknown;
    readonly bool _byteFallback, _prependEvery, _prependFirst;

    SentencePieceBpeTokenizer(Dictionary<string, int> vocab, string[] pieces, Dictionary<long, (int, int)> merges, (string, int)[] added, HashSet<int> special,
        int[] prefix, int[] suffix, int unknown, bool byteFallback, bool prependEvery, bool prependFirst)
    {
        (_vocab, _pieces, _merges, _added, _special, _prefix, _suffix, _unknown, _byteFallback, _prependEvery, _prependFirst) =
            (vocab, pieces, merges, added, special, prefix, suffix, unknown, byteFallback, prependEvery, prependFirst);
    }

    /// <summary>Ids the vocabulary and added tokens cover (one more than the highest).</summary>
    public int VocabSize => _pieces.Length;

    /// <summary>The id of <paramref name="token"/> (a vocabulary entry or an added token), or −1.</summary>
    public int Id(string token) => _vocab.TryGetValue(token, out int id) ? id : -1;

    /// <summary>Reads <paramref name="path"/> (a <c>tokenizer.json</c>).</summary>
    /// <exception cref="SieveFormatException">The file is missing, not JSON, or not a SentencePiece-style BPE tokenizer (the problem named).</exception>
    public static SentencePieceBpeTokenizer Load(string path)
    {
        if (!InputFile.IsPresent(path)) throw new SieveFormatException($"{path} is missing; the model's tokenizer (tokenizer.json) is needed to encode and decode text");
        var json = JsonConfig.Load(path).Element;
        SieveFormatException Problem(string what) => new($"{path}: {what}");
        if (!json.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object || Text(model, "type") != "BPE")
            throw Problem($"model.type is \"{(model.ValueKind == JsonValueKind.Object ? Text(model, "type") : null)}\"; Sieve reads SentencePiece-style \"BPE\" tokenizers");
        if (!model.TryGetProperty("vocab", out var vocabJson) || vocabJson.ValueKind != JsonValueKind.Object) throw Problem("model.vocab must be an object of token → id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabJson.EnumerateObject())
        {
            if (!p.Value.TryGetInt32(out int id) || id < 0 || id >= ConfigLimits.MaxTableRows) throw Problem($"model.vocab[\"{p.Name}\"] must be an id in 0…{ConfigLimits.MaxTableRows - 1}");
            vocab[p.Name] = id;
        }
        var added = new List<(string, int)>();
        var special = new HashSet<int>();
        if (json.TryGetProperty("added_tokens", out var addedJson) && addedJson.ValueKind == JsonValueKind.Array)
            foreach (var entry in addedJson.EnumerateArray())
            {
                if (Text(entry, "content") is not { Length: > 0 } content || !entry.TryGetProperty("id", out var idJson) || !idJson.TryGetInt32(out int id) || id < 0 || id >= ConfigLimits.MaxTableRows)
                    throw Problem("each added_tokens entry needs a non-empty \"content\" and an id");
                vocab[content] = id;
                added.Add((content, id));
                if (entry.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True) special.Add(id);
            }
        var pieces = new string[vocab.Count == 0 ? 0 : vocab.Values.Max() + 1];
        foreach (var (token, id) in vocab) pieces[id] ??= token;
        var merges = new Dictionary<long, (int, int)>();
        if (model.TryGetProperty("merges", out var mergesJson) && mergesJson.ValueKind == JsonValueKind.Array)
        {
            int rank = 0;
            foreach (var m in mergesJson.EnumerateArray())
            {
                var (left, right) = m.ValueKind == JsonValueKind.String && m.GetString()!.Split(' ') is [var l, var r] ? (l, r)
                    : m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2 ? (m[0].GetString() ?? "", m[1].GetString() ?? "")
                    : throw Problem($"model.merges[{rank}] must be \"left right\" or [left, right]");
                if (!vocab.TryGetValue(left, out int a) || !vocab.TryGetValue(right, out int b) || !vocab.TryGetValue(left + right, out int merged))
                    throw Problem($"model.merges[{rank}] (\"{left}\" + \"{right}\") names a token outside model.vocab");
                merges.TryAdd(((long)a << 32) | (uint)b, (rank, merged));
                rank++;
            }
        }
        int unknown = Text(model, "unk_token") is { } unk && vocab.TryGetValue(unk, out int u) ? u : -1;
        bool byteFallback = model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True;
        var (every, first) = Spaces(json, Problem);
        var (prefix, suffix) = Template(json, vocab, Problem);
        return new SentencePieceBpeTokenizer(vocab, pieces, merges, [.. added.OrderByDescending(a => a.Item1.Length)], special, prefix, suffix, unknown, byteFallback, every, first);
    }

    static string? Text(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static IEnumerable<JsonElement> Steps(JsonElement e, string list) =>
        e.ValueKind != JsonValueKind.Object ? [] : Text(e, "type") == "Sequence" && e.TryGetProperty(list, out var items) ? items.EnumerateArray() : [e];

    /// <summary>Where a "▁" is prepended: to every piece between added tokens (the Prepend normalizer), or to the text's first only (Metaspace "first").</summary>
    static (bool Every, bool First) Spaces(JsonElement json, Func<string, SieveFormatException> problem)
    {
        bool every = false, first = false;
        if (json.TryGetProperty("normalizer", out var normalizer))
            foreach (var step in Steps(normalizer, "normalizers"))
                switch (Text(step, "type"))
                {
                    case "Prepend" when Text(step, "prepend") == "▁": every = true; break;
                    case "Replace" when step.TryGetProperty("pattern", out var p) && Text(p, "String") == " " && Text(step, "content") == "▁": break;
                    case var other: throw problem($"normalizer step \"{other}\" is not supported (Sieve reads SentencePiece-style Prepend(\"▁\") and Replace(\" \", \"▁\"))");
                }
        if (json.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object)
        {
            if (Text(pre, "type") != "Metaspace" || Text(pre, "replacement") != "▁" || pre.TryGetProperty("split", out var split) && split.ValueKind == JsonValueKind.True)
                throw problem($"pre_tokenizer \"{Text(pre, "type")}\" is not supported (Sieve reads SentencePiece-style tokenizers: none, or Metaspace \"▁\" without split)");
            switch (Text(pre, "prepend_scheme") ?? "always")
            {
                case "always": every = true; break;
                case "first": first = true; break;
            }
        }
        return (every, first);
    }

    /// <summary>The special tokens a <c>TemplateProcessing</c> post-processor puts before and after a single sequence.</summary>
    static (int[] Prefix, int[] Suffix) Template(JsonElement json, Dictionary<string, int> vocab, Func<string, SieveFormatException> problem)
    {
        if (!json.TryGetProperty("post_processor", out var post) || post.ValueKind != JsonValueKind.Object) return ([], []);
        var template = Steps(post, "processors").FirstOrDefault(p => Text(p, "type") == "TemplateProcessing");
        if (template.ValueKind != JsonValueKind.Object || !template.TryGetProperty("single", out var single)) return ([], []);
        List<int> prefix = [], suffix = [];
        bool seen = false;
        foreach (var item in single.EnumerateArray())
        {
            if (item.TryGetProperty("Sequence", out _)) { seen = true; continue; }
            if (!item.TryGetProperty("SpecialToken", out var s) || Text(s, "id") is not { } token || !vocab.TryGetValue(token, out int id))
                throw problem("post_processor.single names a special token outside the vocabulary");
            (seen ? suffix : prefix).Add(id);
        }
        return ([.. prefix], [.. suffix]);
    }

    /// <summary>The ids of <paramref name="text"/>, with the post-processor's special tokens around them when <paramref name="addSpecial"/>.</summary>
    public int[] Encode(string text, bool addSpecial = true)
    {
        var ids = new List<int>();
        if (addSpecial) ids.AddRange(_prefix);
        int start = 0;
        bool firstPiece = true;
        for (int i = 0; i <= text.Length;)
        {
            var match = i < text.Length ? _added.FirstOrDefault(a => string.CompareOrdinal(text, i, a.Content, 0, a.Content.Length) == 0) : default;
            if (i < text.Length && match.Content == null) { i++; continue; }
            if (i > start) Piece(text[start..i], ids, _prependEvery || _prependFirst && firstPiece);
            firstPiece = false;
            if (i == text.Length) break;
            ids.Add(match.Id);
            i += match.Content!.Length;
            start = i;
        }
        if (addSpecial) ids.AddRange(_suffix);
        return [.. ids];
    }

    /// <summary>Merges one piece between added tokens into <paramref name="ids"/>.</summary>
    void Piece(string text, List<int> ids, bool prepend)
    {
        string normalized = (prepend ? Space + text : text).Replace(' ', Space);
        var symbols = new List<int>();
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in normalized.EnumerateRunes())
        {
            if (_vocab.TryGetValue(rune.ToString(), out int id)) { symbols.Add(id); continue; }
            int n = rune.EncodeToUtf8(bytes);
            for (int b = 0; b < n && _byteFallback; b++)
                symbols.Add(_vocab.TryGetValue($"<0x{bytes[b]:X2}>", out int byteId) ? byteId : _unknown);
            if (!_byteFallback) symbols.Add(_unknown);
        }
        while (symbols.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue, merged = 0;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_merges.TryGetValue(((long)symbols[i] << 32) | (uint)symbols[i + 1], out var m) && m.Rank < bestRank)
                    (best, bestRank, merged) = (i, m.Rank, m.Id);
            if (best < 0) break;
            symbols[best] = merged;
            symbols.RemoveAt(best + 1);
        }
        foreach (int id in symbols)
            if (id < 0) throw new ArgumentException($"the text has a character outside the tokenizer's vocabulary and the tokenizer has no unknown token: \"{text}\"");
        ids.AddRange(symbols);
    }

    /// <summary>
    /// The text of <paramref name="ids"/>: byte tokens fused into UTF-8, "▁" as spaces, one leading space dropped; special
    /// tokens skipped, and ids the tokenizer has no piece for (a model's padding rows past its vocabulary) too, as Hugging Face's do.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecial = true)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_pieces.Length || _pieces[id] is not { } piece || skipSpecial && _special.Contains(id)) continue;
            if (piece.Length == 6 && piece.StartsWith("<0x") && piece[5] == '>' && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
                bytes.Add(b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(piece.Replace(Space, ' ')));
        }
        string text = Encoding.UTF8.GetString([.. bytes]);
        return text.StartsWith(' ') ? text[1..] : text;
    }
}
