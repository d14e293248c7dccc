using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sieve.Data;

/// <summary>
/// CLIP's byte-level BPE tokenizer, producing the same ids as OpenAI's <c>simple_tokenizer.py</c> and
/// Hugging Face's <c>CLIPTokenizer</c> (vocab.json + merges.txt). Text is NFC-normalised (as ftfy
/// leaves it), whitespace-collapsed, trimmed and lower-cased; ftfy's other mojibake fix-ups and HTML
/// unescaping are not done (Hugging Face does neither).
/// Literal <c>&lt;|startoftext|&gt;</c> / <c>&lt;|endoftext|&gt;</c> in the text become their ids, as in CLIP.
/// Immutable and safe to share between threads; it caches the BPE of every distinct word it meets.
/// </summary>
internal sealed class ClipTokenizer
{
    const string StartToken = "<|startoftext|>", EndToken = "<|endoftext|>", EndOfWord = "</w>";

    static readonly Regex Pieces = new(
        @"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+",
        RegexOptions.Compiled);
    static readonly Regex Whitespace = new(@"\s+", RegexOptions.Compiled);
    static readonly char[] ByteToChar = BuildByteToChar();

    readonly byte[][] _idToBytes;                 // each token's UTF-8 bytes, plus a space at word ends
    readonly int[] _byteIds, _byteEndIds;          // a single byte as a symbol, mid-word and word-final
    readonly Dictionary<(int Left, int Right), (int Rank, int Merged)> _merges;
    readonly ConcurrentDictionary<string, int[]> _cache = new();

    /// <summary>Id of <c>&lt;|startoftext|&gt;</c>, the first id of every encoding (49406 in CLIP).</summary>
    public int StartOfText { get; }

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c>, the last id of every encoding (49407 in CLIP); also
    /// stands in for symbols the vocabulary lacks, as CLIP's unknown token.</summary>
    public int EndOfText { get; }

    /// <summary>Number of entries in vocab.json (49,408 in CLIP), i.e. the token-embedding rows.</summary>
    public int VocabSize => _idToBytes.Length;

    /// <summary>Most ids <see cref="Encode"/> returns, both special tokens included (77 in CLIP).</summary>
    public int ContextLength { get; }

    ClipTokenizer(Dictionary<string, int> vocab, Dictionary<(int, int), (int, int)> merges, int contextLength, string vocabPath)
    {
        int Special(string token) => vocab.TryGetValue(token, out var id)
            ? id : throw new SieveFormatException($"{vocabPath}: no entry for '{token}', which CLIP's tokenizer needs");
        StartOfText = Special(StartToken);
        EndOfText = Special(EndToken);
        ContextLength = contextLength;
        _merges = merges;
        _idToBytes = TokenBytes(vocab, vocabPath);
        _byteIds = new int[256];
        _byteEndIds = new int[256];
        for (var b = 0; b < 256; b++)
        {
            _byteIds[b] = vocab.GetValueOrDefault(ByteToChar[b].ToString(), EndOfText);
            _byteEndIds[b] = vocab.GetValueOrDefault(ByteToChar[b] + EndOfWord, EndOfText);
        }
        _cache[StartToken] = [StartOfText];
        _cache[EndToken] = [EndOfText];
    }

    /// <summary>Loads a Hugging Face tokenizer pair: <paramref name="vocabJsonPath"/> maps tokens to
    /// ids; <paramref name="mergesPath"/> lists merges by rank after a <c>#version</c> header.</summary>
    /// <exception cref="SieveFormatException">A file is missing or malformed.</exception>
    public static ClipTokenizer Load(string vocabJsonPath, string mergesPath, int contextLength = 77)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2);
        var vocab = ReadVocab(vocabJsonPath);
        return new ClipTokenizer(vocab, ReadMerges(mergesPath, vocab), contextLength, vocabJsonPath);
    }

    /// <summary>Loads <c>vocab.json</c> and <c>merges.txt</c> from <paramref name="dir"/>, the layout of
    /// a Hugging Face CLIP checkpoint.</summary>
    /// <exception cref="SieveFormatException">A file is missing or malformed.</exception>
    public static ClipTokenizer FromDirectory(string dir, int contextLength = 77) =>
        Load(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt"), contextLength);

    /// <summary>Token ids of <paramref name="text"/>: <see cref="StartOfText"/>, the BPE tokens, then
    /// <see cref="EndOfText"/>. Longer results are cut to <see cref="ContextLength"/> keeping
    /// <see cref="EndOfText"/> last, as Hugging Face does with <c>truncation=True</c>.</summary>
    public int[] Encode(string text) => Tokenize(text).Ids;

    /// <summary><see cref="Encode"/>, and what the cut to <see cref="ContextLength"/> lost (with a warning for the user).</summary>
    public TokenizedText Tokenize(string text)
    {
        var ids = new List<int>(ContextLength) { StartOfText };
        var cleaned = Whitespace.Replace(text.Normalize(System.Text.NormalizationForm.FormC), " ").Trim().ToLowerInvariant();
        int total = 2; // start and end of text
        for (var m = Pieces.Match(cleaned); m.Success; m = m.NextMatch())
        {
            // Pieces past the context are encoded only to count what the cut drops: kept out of the cache, so a long
            // text cannot grow it without bound.
            var piece = ids.Count < ContextLength - 1 ? _cache.GetOrAdd(m.Value, Bpe) : Bpe(m.Value);
            total += piece.Length;
            if (ids.Count < ContextLength - 1) ids.AddRange(piece);
        }
        if (ids.Count > ContextLength - 1) ids.RemoveRange(ContextLength - 1, ids.Count - (ContextLength - 1));
        ids.Add(EndOfText);
        int dropped = total - ids.Count;
        string? warning = dropped == 0 ? null
            : $"the text has {total} tokens, more than the model's {ContextLength}; its last {dropped} were dropped";
        return new TokenizedText([.. ids], dropped, warning);
    }

    /// <summary><see cref="Encode"/>, then padded with <paramref name="padId"/> up to
    /// <paramref name="length"/> (Hugging Face's OpenAI CLIP checkpoints pad with <see cref="EndOfText"/>).
    /// Truncates to <paramref name="length"/> if that is below <see cref="ContextLength"/>.</summary>
    public int[] EncodePadded(string text, int length, int padId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 2);
        var ids = Encode(text);
        if (ids.Length > length) ids = [.. ids.AsSpan(0, length - 1), EndOfText];
        var padded = new int[length];
        padded.AsSpan().Fill(padId);
        ids.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>Text of <paramref name="ids"/>: special tokens are dropped, word ends become spaces, and
    /// invalid UTF-8 becomes U+FFFD. Lower-cased and whitespace-collapsed, like the encoded text.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id outside the vocabulary 0..{VocabSize - 1}");
            if (id != StartOfText && id != EndOfText) bytes.AddRange(_idToBytes[id]);
        }
        return Encoding.UTF8.GetString([.. bytes]).Trim();
    }

    /// <summary>BPE of one pre-token: its bytes as symbols, the last one word-final, then repeatedly
    /// merges every occurrence of the best-ranked adjacent pair (OpenAI's loop, on ids instead of strings).</summary>
    int[] Bpe(string piece)
    {
        var utf8 = Encoding.UTF8.GetBytes(piece);
        var word = new List<int>(utf8.Length);
        for (var i = 0; i < utf8.Length; i++) word.Add(i == utf8.Length - 1 ? _byteEndIds[utf8[i]] : _byteIds[utf8[i]]);
        while (word.Count > 1)
        {
            (int Rank, int Merged) best = (int.MaxValue, 0);
            (int, int) bestPair = default;
            for (var i = 0; i + 1 < word.Count; i++)
                if (_merges.TryGetValue((word[i], word[i + 1]), out var merge) && merge.Rank < best.Rank)
                    (best, bestPair) = (merge, (word[i], word[i + 1]));
            if (best.Rank == int.MaxValue) break;
            var merged = new List<int>(word.Count);
            for (var i = 0; i < word.Count; i++)
            {
                if (i + 1 < word.Count && (word[i], word[i + 1]) == bestPair) { merged.Add(best.Merged); i++; }
                else merged.Add(word[i]);
            }
            word = merged;
        }
        return [.. word];
    }

    static Dictionary<string, int> ReadVocab(string path)
    {
        RequireFile(path, "the token → id map");
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
                ?? throw new SieveFormatException($"{path}: expected a JSON object of token → id, got null");
        }
        catch (JsonException e)
        {
            throw new SieveFormatException($"{path} line {e.LineNumber + 1}: expected a JSON object of token → integer id ({e.Message})", e);
        }
    }

    /// <summary>Merge ranks keyed by the ids of the two symbols, with the id of their concatenation.</summary>
    static Dictionary<(int, int), (int, int)> ReadMerges(string path, Dictionary<string, int> vocab)
    {
        RequireFile(path, "the ranked BPE merges");
        var merges = new Dictionary<(int, int), (int, int)>(vocab.Count);
        int lineNo = 0, rank = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if ((lineNo == 1 && line.StartsWith("#version")) || line.Length == 0) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new SieveFormatException($"{path} line {lineNo}: expected two symbols separated by one space, got '{line}'");
            int Id(string token) => vocab.TryGetValue(token, out var id)
                ? id : throw new SieveFormatException($"{path} line {lineNo}: '{token}' is not in vocab.json");
            merges[(Id(parts[0]), Id(parts[1]))] = (rank++, Id(parts[0] + parts[1])); // a repeat takes the later rank, as in CLIP's dict
        }
        return merges;
    }

    static void RequireFile(string path, string what)
    {
        if (!InputFile.IsPresent(path))
            throw new SieveFormatException($"{path}: file not found; the CLIP tokenizer needs it for {what} (vocab.json + merges.txt, as in a Hugging Face CLIP checkpoint)");
        InputFile.RequireContent(path, what);
    }

    /// <summary>Bytes of every token by id, checking that ids are exactly 0..count-1 and that every
    /// non-special token is spelt in the byte alphabet, so that decoding cannot fail later.</summary>
    static byte[][] TokenBytes(Dictionary<string, int> vocab, string path)
    {
        var charToByte = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++) charToByte[ByteToChar[b]] = (byte)b;
        var result = new byte[vocab.Count][];
        foreach (var (token, id) in vocab)
        {
            if ((uint)id >= (uint)vocab.Count || result[id] != null)
                throw new SieveFormatException($"{path}: ids must be 0..{vocab.Count - 1}, each used once; got {id} again or out of range for '{token}'");
            if (token is StartToken or EndToken) { result[id] = []; continue; }
            var wordEnd = token.EndsWith(EndOfWord, StringComparison.Ordinal);
            var symbols = wordEnd ? token[..^EndOfWord.Length] : token;
            var bytes = new byte[symbols.Length + (wordEnd ? 1 : 0)];
            for (var i = 0; i < symbols.Length; i++)
                bytes[i] = charToByte.TryGetValue(symbols[i], out var b) ? b
                    : throw new SieveFormatException($"{path}: token '{token}' (id {id}) has '{symbols[i]}', which is outside the byte-level alphabet");
            if (wordEnd) bytes[^1] = (byte)' ';
            result[id] = bytes;
        }
        return result;
    }

    /// <summary>The character standing for <paramref name="b"/> in the vocabulary's byte alphabet.</summary>
    internal static char ByteSymbol(byte b) => ByteToChar[b];

    /// <summary>GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68
    /// bytes for U+0100 onwards, so every byte is a visible, non-space character.</summary>
    static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
            map[b] = b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ' ? (char)b : (char)next++;
        return map;
    }
}
