namespace Sieve.Eval;

/// <summary>
/// The tokenization coco-caption applies before BLEU and CIDEr-D, re-stated: lower case; whitespace splits words;
/// punctuation at either end of a word (<c>. , ! ? ; : " ' ` ( ) [ ] { }</c>) is split off, as are the English
/// clitics the Penn Treebank tokenizer separates (<c>'s 're 've 'll 'd 'm n't</c>: "dog's" → "dog" "'s",
/// "don't" → "do" "n't"); then the punctuation tokens coco-caption drops (any token of punctuation alone, hyphens
/// included) are removed. Hyphens and periods inside a word stay ("black-and-white", "3.5").
/// </summary>
/// <remarks>
/// coco-caption runs Stanford CoreNLP's PTBTokenizer; this follows its splitting rules for ordinary captions, not
/// its handling of URLs, emoticons or abbreviations such as "u.s." (whose final period it keeps and this splits off).
/// </remarks>
internal static class CaptionTokenizer
{
    const string EdgePunctuation = ".,!?;:\"'`()[]{}";
    static readonly string[] Clitics = ["n't", "'s", "'re", "'ve", "'ll", "'d", "'m"];

    /// <summary>The tokens of <paramref name="caption"/>.</summary>
    public static List<string> Tokenize(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        var tokens = new List<string>();
        foreach (string word in caption.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            int start = 0, end = word.Length;
            while (start < end && EdgePunctuation.Contains(word[start])) start++;
            while (end > start && EdgePunctuation.Contains(word[end - 1])) end--;
            string core = word[start..end];
            string? clitic = Clitics.FirstOrDefault(c => core.Length > c.Length && core.EndsWith(c, StringComparison.Ordinal));
            if (clitic != null)
            {
                tokens.Add(core[..^clitic.Length]);
                tokens.Add(clitic);
            }
            else if (core.Length > 0) tokens.Add(core);
        }
        // Only the words are kept: edge punctuation was split off above, and a token of punctuation alone ("-", "--") is dropped.
        tokens.RemoveAll(t => t.All(c => char.IsPunctuation(c) || char.IsSymbol(c)));
        return tokens;
    }
}
