using Sieve.Data;
using Sieve.Tests.Support;

namespace Sieve.Tests.Data;

/// <summary>BERT WordPiece on the tiny vocabulary of <see cref="TinyVilt.Vocab"/>; every expectation worked out by hand from BERT's rules.</summary>
public sealed class WordPieceTokenizerTests : IDisposable
{
    readonly TempFolder _folder = new("sieve-wordpiece-");

    public WordPieceTokenizerTests() => File.WriteAllLines(_folder.File("vocab.txt"), TinyVilt.Vocab);

    public void Dispose() => _folder.Dispose();

    WordPieceTokenizer Tokenizer(int maxLength = 40, bool lowerCase = true) => WordPieceTokenizer.FromDirectory(_folder.Path, maxLength, lowerCase);

    static string[] Tokens(IEnumerable<int> ids) => ids.Select(i => TinyVilt.Vocab[i]).ToArray();

    [Theory]
    [InlineData("What is the color of the cat?", "what is the color of the cat ?")]
    [InlineData("  what\n\tis\u00A0 the\r\ncat  ", "what is the cat")]               // any whitespace separates, incl. no-break space
    [InlineData("Café", "cafe")]                                                     // lower-cased, accent stripped (NFD)
    [InlineData("CAFE\u0301", "cafe")]                                               // combining accent: NFC, then stripped
    [InlineData("cats!", "cat ##s !")]                                               // continuation, punctuation split off
    [InlineData("dogs,cats.", "dog ##s , cat ##s .")]
    [InlineData("the dog's sofa", "the dog ' [UNK] sofa")]                           // "s" alone is not a word of this vocabulary
    [InlineData("playing unaffable", "play ##ing un ##aff ##able")]                  // greedy longest match first
    [InlineData("中国cat", "中 国 cat")]                                             // CJK ideographs become words of their own
    [InlineData("zebra cat", "[UNK] cat")]                                           // a word that cannot be spelt is one [UNK]
    [InlineData("catz", "[UNK]")]                                                    // … even after a matched prefix
    [InlineData("ca\u200Bt\u0007", "cat")]                                           // format and control characters are removed
    [InlineData("[MASK] cat [SEP]", "[MASK] cat [SEP]")]                             // literal special tokens keep their ids
    [InlineData("", "")]
    public void TokenizesAsBertDoes(string text, string expected)
    {
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), Tokens(Tokenizer().Tokenize(text)));
    }

    [Fact]
    public void WordsOfMoreThan100CharactersAreUnknown()
    {
        string hundred = "play" + string.Concat(Enumerable.Repeat("ing", 32));
        Assert.Equal(["play", .. Enumerable.Repeat("##ing", 32)], Tokens(Tokenizer().Tokenize(hundred)));
        Assert.Equal(["[UNK]"], Tokens(Tokenizer().Tokenize(hundred + "s")));
    }

    [Fact]
    public void CasedTokenizerKeepsCaseAndAccents()
    {
        Assert.Equal(["[UNK]", "cat", "[UNK]"], Tokens(Tokenizer(lowerCase: false).Tokenize("Cat cat café")));
    }

    [Fact]
    public void EncodeAddsClsAndSep()
    {
        var encoded = Tokenizer().Encode("a cat");
        Assert.Equal(["[CLS]", "a", "cat", "[SEP]"], Tokens(encoded.Ids));
        Assert.Equal(0, encoded.DroppedTokens);
        Assert.Null(encoded.Warning);
        Assert.Equal((2, 3, 1), (Tokenizer().Cls, Tokenizer().Sep, Tokenizer().Unknown));
    }

    [Fact]
    public void LongerTextIsTruncatedWithAWarning()
    {
        var encoded = Tokenizer(maxLength: 6).Encode("what is the color of the cat?");
        Assert.Equal(["[CLS]", "what", "is", "the", "color", "[SEP]"], Tokens(encoded.Ids));
        Assert.Equal(4, encoded.DroppedTokens);
        Assert.Equal("the text has 10 tokens, more than the model's 6; its last 4 were dropped", encoded.Warning);
        Assert.Null(Tokenizer(maxLength: 10).Encode("what is the color of the cat?").Warning);
    }

    [Fact]
    public void MissingOrIncompleteVocabularyIsReported()
    {
        using var empty = new TempFolder();
        var e = Assert.Throws<SieveFormatException>(() => WordPieceTokenizer.FromDirectory(empty.Path, 40));
        Assert.Contains(empty.Path, e.Message);
        Assert.Contains("no vocab.txt", e.Message);

        File.WriteAllLines(empty.File("vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "cat"]);
        Assert.Contains("no entry for '[SEP]'", Assert.Throws<SieveFormatException>(() => WordPieceTokenizer.FromDirectory(empty.Path, 40)).Message);
    }
}
