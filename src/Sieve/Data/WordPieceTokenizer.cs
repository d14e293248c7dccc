using System.Globalization;
using System.Text;

namespace Sieve.Data;

/// <summary>Token ids of one text, and what was lost making them fit.</summary>
/// <param name="Ids">[CLS], the WordPiece tokens, [SEP].</param>
/// <param name="DroppedTokens">Word pieces cut from the end to fit the length limit (0 when none).</param>
/// <param name="Warning">A sentence for the user when tokens were dropped, else null.</param>
public sealed record TokenizedText(int[] Ids, int DroppedTokens, string? Warning);

/// <summary>
/// BERT's uncased WordPiece tokenizer (Hugging Face <c>BertTokenizer</c> on a <c>vocab.txt</c>), as ViLT
/// uses it. Basic tokenization: control characters and U+FFFD are removed, whitespace becomes spaces,
/// CJK ideographs become words of their own, the text is NFC-normalised; each word is lower-cased and
/// stripped of accents (NFD, combining marks dropped) when <see cref="LowerCase"/>, then split at every
/// punctuation character. WordPiece: each word is split greedily into the longest vocabulary entries
/// from the left, continuations spelt with <c>##</c>; a word that cannot be split, or is longer than 100
/// characters, becomes [UNK]. Literal special tokens ([CLS], [SEP], [PAD], [MASK], [UNK], and the tokens the
/// folder's tokenizer files add, <see cref="AddedTokens"/>: BLIP's [DEC] and [ENC]) in the text keep their ids, as in
/// Hugging Face. Immutable and thread-safe.
/// </summary>
internal sealed class WordPieceTokenizer
{
    /// <summary>The vocabulary file of a BERT tokenizer: one token per line, the line number is its id.</summary>
    public const string VocabFile = "vocab.txt";

    const int MaxCharsPerWord = 100;
    static readonly string[] SpecialTokens = ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"];

    readonly Dictionary<string, int> _vocab;
    readonly string[] _specials;

    WordPieceTokenizer(Dictionary<string, int> vocab, int maxLength, bool lowerCase, string path, IEnumerable<string> added)
    {
        int Special(string token) => vocab.TryGetValue(token, out int id)
            ? id : throw new SieveFormatException($"{path}: no entry for '{token}', which the BERT tokenizer needs");
        _vocab = vocab;
        Cls = Special("[CLS]");
        Sep = Special("[SEP]");
        Unknown = Special("[UNK]");
        MaxLength = maxLength;
        LowerCase = lowerCase;
        _specials = SpecialTokens.Where(vocab.ContainsKey).Concat(added).Distinct().ToArray();
    }

    /// <summary>Id of [CLS], the first id of every encoding (101 in BERT).</summary>
    public int Cls { get; }

    /// <summary>Id of [SEP], the last id of every encoding (102 in BERT).</summary>
    public int Sep { get; }

    /// <summary>Id of [UNK], for words the vocabulary cannot spell (100 in BERT).</summary>
    public int Unknown { get; }

    /// <summary>Most ids <see cref="Encode"/> returns, [CLS] and [SEP] included (ViLT: 40).</summary>
    public int MaxLength { get; }

    /// <summary>Whether words are lower-cased and stripped of accents (uncased BERT; ViLT).</summary>
    public bool LowerCase { get; }

    /// <summary>Entries in the vocabulary.</summary>
    public int VocabSize => _vocab.Count;

    /// <summary>Loads <c>vocab.txt</c> and the added tokens (<see cref="AddedTokens"/>) from <paramref name="directory"/>.</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="maxLength">Most ids per text, [CLS] and [SEP] included.</param>
    /// <param name="lowerCase">Lower-case and strip accents (uncased models).</param>
    /// <exception cref="SieveFormatException">The file is missing or lacks [CLS], [SEP] or [UNK], or the added tokens are malformed.</exception>
    public static WordPieceTokenizer FromDirectory(string directory, int maxLength, bool lowerCase = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        string path = Path.Combine(directory, VocabFile);
        if (!InputFile.IsPresent(path))
            throw new SieveFormatException($"{directory}: no {VocabFile}; text needs the BERT WordPiece vocabulary (one token per line) beside the model");
        InputFile.RequireContent(path, "the BERT WordPiece vocabulary, one token per line");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        int line = 0;
        foreach (string token in File.ReadLines(path))
        {
            // Hugging Face's load_vocab strips only the line end; a repeated token keeps its last line.
            vocab[token.TrimEnd('\n', '\r')] = line++;
        }
        var added = AddedTokens.Read(directory);
        foreach (var (token, id) in added) vocab[token] = id;
        return new WordPieceTokenizer(vocab, maxLength, lowerCase, path, added.Select(a => a.Token));
    }

    /// <summary>
    /// [CLS], the word pieces of <paramref name="text"/>, [SEP]. A text longer than <see cref="MaxLength"/>
    /// keeps its first <see cref="MaxLength"/> − 2 pieces (Hugging Face's <c>truncation=True</c>), and the
    /// result says how many were dropped.
    /// </summary>
    public TokenizedText Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = Tokenize(text);
        int room = MaxLength - 2, dropped = Math.Max(0, pieces.Count - room);
        var ids = new int[Math.Min(pieces.Count, room) + 2];
        ids[0] = Cls;
        for (int i = 0; i + 2 < ids.Length; i++) ids[i + 1] = pieces[i];
        ids[^1] = Sep;
        string? warning = dropped == 0 ? null
            : $"the text has {pieces.Count + 2} tokens, more than the model's {MaxLength}; its last {dropped} were dropped";
        return new TokenizedText(ids, dropped, warning);
    }

    /// <summary>The ids of the word pieces of <paramref name="text"/>, without [CLS] and [SEP], uncut.</summary>
    public IReadOnlyList<int> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        int start = 0;
        while (start < text.Length)
        {
            // Literal special tokens are split off first and never lower-cased or split further.
            var (at, special) = NextSpecial(text, start);
            foreach (string word in BasicTokens(text[start..at])) WordPiece(word, ids);
            if (special == null) break;
            ids.Add(_vocab[special]);
            start = at + special.Length;
        }
        return ids;
    }

    /// <summary>
    /// Text of <paramref name="ids"/> as Hugging Face's <c>decode(ids, skip_special_tokens=True)</c> gives it: special
    /// tokens ([CLS], [SEP], [PAD], [MASK], [UNK] and the added ones) left out, pieces joined by spaces with each
    /// <c>##</c> continuation glued to the piece before, and the spaces before . , ? ! and English contractions removed.
    /// </summary>
    /// <exception cref="ArgumentException">An id is not in the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var tokens = _tokens ??= _vocab.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.Last().Key);
        var skip = _specials.Select(t => _vocab[t]).ToHashSet();
        var words = new List<string>();
        foreach (int id in ids)
        {
            if (!tokens.TryGetValue(id, out var token)) throw new ArgumentException($"token id {id} is not in the vocabulary", nameof(ids));
            if (!skip.Contains(id)) words.Add(token);
        }
        string text = string.Join(' ', words).Replace(" ##", "", StringComparison.Ordinal).Trim();
        foreach (var (spaced, plain) in CleanUps) text = text.Replace(spaced, plain, StringComparison.Ordinal);
        return text;
    }

    /// <summary>Hugging Face's <c>clean_up_tokenization</c>, in its order.</summary>
    static readonly (string, string)[] CleanUps =
        [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")];

    Dictionary<int, string>? _tokens; // id → token, built on the first Decode

    (int At, string? Token) NextSpecial(string text, int start)
    {
        (int At, string? Token) best = (text.Length, null);
        foreach (string token in _specials)
        {
            int at = text.IndexOf(token, start, StringComparison.Ordinal);
            // Where two start at once, the longer wins, as Hugging Face's trie matches.
            if (at >= 0 && (at < best.At || at == best.At && token.Length > best.Token!.Length)) best = (at, token);
        }
        return best;
    }

    /// <summary>BERT's BasicTokenizer: cleaned, CJK-spaced, NFC, split at whitespace, lower-cased and accent-stripped, split at punctuation.</summary>
    IEnumerable<string> BasicTokens(string text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value is 0 or 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) cleaned.Append(' ');
            else if (IsCjk(rune.Value)) cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            else cleaned.Append(rune.ToString());
        }
        foreach (string word in SplitWhitespace(cleaned.ToString().Normalize(NormalizationForm.FormC)))
        {
            string w = LowerCase ? StripAccents(word.ToLowerInvariant()) : word;
            var piece = new StringBuilder();
            foreach (var rune in w.EnumerateRunes())
            {
                if (!IsPunctuation(rune))
                {
                    piece.Append(rune.ToString());
                    continue;
                }
                if (piece.Length > 0) yield return piece.ToString();
                piece.Clear();
                yield return rune.ToString();
            }
            if (piece.Length > 0) yield return piece.ToString();
        }
    }

    /// <summary>Greedy longest-match-first split of one word into vocabulary entries; [UNK] if impossible.</summary>
    void WordPiece(string word, List<int> ids)
    {
        // Python counts characters as code points; so does the limit and every split here.
        var runes = word.EnumerateRunes().Select(r => r.ToString()).ToArray();
        if (runes.Length > MaxCharsPerWord)
        {
            ids.Add(Unknown);
            return;
        }
        int first = ids.Count;
        for (int start = 0; start < runes.Length;)
        {
            int end = runes.Length, id = -1;
            for (; end > start; end--)
            {
                string piece = (start > 0 ? "##" : "") + string.Concat(runes[start..end]);
                if (_vocab.TryGetValue(piece, out id)) break;
            }
            if (end == start)
            {
                ids.RemoveRange(first, ids.Count - first);
                ids.Add(Unknown);
                return;
            }
            ids.Add(id);
            start = end;
        }
    }

    /// <summary>Python's <c>str.split()</c>: runs of Unicode whitespace separate words.</summary>
    static IEnumerable<string> SplitWhitespace(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    static string StripAccents(string word)
    {
        var output = new StringBuilder(word.Length);
        foreach (var rune in word.Normalize(NormalizationForm.FormD).EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) output.Append(rune.ToString());
        return output.ToString();
    }

    static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    // Tab, newline and carriage return count as whitespace, not control; every other C* category is control.
    static bool IsControl(Rune r) => r.Value is not ('\t' or '\n' or '\r') && Rune.GetUnicodeCategory(r) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    // All non-letter/number ASCII counts as punctuation (BERT treats "^$`" as such), plus Unicode's P* categories.
    static bool IsPunctuation(Rune r) => r.Value is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126
        || Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    /// <summary>The CJK Unified Ideographs blocks BERT spaces out (not Hangul, Hiragana or Katakana).</summary>
    static bool IsCjk(int cp) => cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
        or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
