using Sieve.Data;
using Sieve.Tests.Support;

namespace Sieve.Tests.Data;

public sealed class ClipTokenizerTests : IDisposable
{
    // A vocabulary small enough to run BPE by hand. Ids 14/15 are the special tokens.
    const string TinyVocab = """
        {"l": 0, "o": 1, "w": 2, "e": 3, "r": 4, "w</w>": 5, "r</w>": 6, "o</w>": 7,
         "lo": 8, "low</w>": 9, "er</w>": 10, "low": 11, "!": 12, "!</w>": 13,
         "<|startoftext|>": 14, "<|endoftext|>": 15}
        """;
    const string TinyMerges = "#version: 0.2\nl o\nlo w</w>\ne r</w>\nlo w\n";
    const int Sot = 14, Eot = 15;

    readonly string _dir = Directory.CreateTempSubdirectory("sieve-clip-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    ClipTokenizer Tiny(string vocab = TinyVocab, string merges = TinyMerges, int contextLength = 77)
    {
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), vocab);
        File.WriteAllText(Path.Combine(_dir, "merges.txt"), merges);
        return ClipTokenizer.FromDirectory(_dir, contextLength);
    }

    static ClipTokenizer Real() => ClipTokenizer.FromDirectory(SharedData.Path("vocab"));

    [Theory]
    [InlineData("low", new[] { Sot, 9, Eot })]                   // l o w</w> → lo w</w> → low</w>
    [InlineData("lower", new[] { Sot, 11, 10, Eot })]            // e r</w> (rank 2) merges before lo w (rank 3)
    [InlineData("  LOW\t\nlower!", new[] { Sot, 9, 11, 10, 13, Eot })]
    [InlineData("ow", new[] { Sot, 1, 5, Eot })]                 // no merge applies
    [InlineData("z", new[] { Sot, Eot, Eot })]                   // unknown symbol → <|endoftext|>, CLIP's unk
    [InlineData("", new[] { Sot, Eot })]
    public void Encode_AppliesMergesByRank(string text, int[] expected) => Assert.Equal(expected, Tiny().Encode(text));

    [Fact]
    public void Properties_ComeFromTheFiles()
    {
        var tok = Tiny(contextLength: 9);
        Assert.Equal((Sot, Eot, 16, 9), (tok.StartOfText, tok.EndOfText, tok.VocabSize, tok.ContextLength));
    }

    [Fact]
    public void Decode_RestoresSpacesAtWordEndsAndDropsSpecials()
    {
        var tok = Tiny();
        Assert.Equal("low lower !", tok.Decode(tok.Encode("low lower!")));
    }

    [Fact]
    public void Encode_TruncatesToContextLengthKeepingEndOfTextLast()
    {
        var ids = Tiny().Encode(string.Join(' ', Enumerable.Repeat("low", 100)));
        Assert.Equal(77, ids.Length);
        Assert.Equal(Sot, ids[0]);
        Assert.Equal(Eot, ids[^1]);
        Assert.All(ids[1..^1], id => Assert.Equal(9, id));
    }

    [Fact]
    public void EncodePadded_PadsOrTruncatesToLength()
    {
        var tok = Tiny();
        Assert.Equal([Sot, 9, Eot, 0, 0, 0], tok.EncodePadded("low", 6, padId: 0));
        Assert.Equal([Sot, 9, 9, Eot], tok.EncodePadded("low low low", 4, padId: 0));
    }

    [Fact]
    public void Load_MissingFile_NamesThePath()
    {
        var vocab = Path.Combine(_dir, "nope.json");
        var e = Assert.Throws<SieveFormatException>(() => ClipTokenizer.Load(vocab, Path.Combine(_dir, "merges.txt")));
        Assert.Contains(vocab, e.Message);
        Assert.Contains("vocab.json + merges.txt", e.Message);
    }

    [Fact]
    public void Load_MissingMerges_NamesThePath()
    {
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), TinyVocab);
        var e = Assert.Throws<SieveFormatException>(() => ClipTokenizer.FromDirectory(_dir));
        Assert.Contains(Path.Combine(_dir, "merges.txt"), e.Message);
    }

    [Theory]
    [InlineData("#version: 0.2\nl o\nlo w</w> x\n", "line 3: expected two symbols")]
    [InlineData("#version: 0.2\nl o\nlo\n", "line 3: expected two symbols")]
    [InlineData("#version: 0.2\nl q\n", "line 2: 'q' is not in vocab.json")]
    public void Load_MalformedMerges_NamesFileAndLine(string merges, string expected)
    {
        var e = Assert.Throws<SieveFormatException>(() => Tiny(merges: merges));
        Assert.Contains($"merges.txt {expected}", e.Message);
    }

    [Theory]
    [InlineData("{\"l\": 0,\n \"o\": \"one\"}", "vocab.json line 2")]
    [InlineData("{\"<|startoftext|>\": 0, \"<|endoftext|>\": 5}", "ids must be 0..1")]
    [InlineData("{\"<|startoftext|>\": 0, \"<|endoftext|>\": 1, \"a b\": 2}", "token 'a b' (id 2) has ' '")]
    [InlineData("{\"l\": 0, \"o\": 1}", "no entry for '<|startoftext|>'")]
    public void Load_MalformedVocab_SaysWhatIsWrong(string vocab, string expected)
    {
        var e = Assert.Throws<SieveFormatException>(() => Tiny(vocab: vocab, merges: "#version: 0.2\n"));
        Assert.Contains(expected, e.Message);
    }

    // Expected ids come from clip_bpe_reference.py (OpenAI's simple_tokenizer on bpe_simple_vocab_16e6.txt.gz),
    // not from this code; "a photo of a cat" is also CLIP's well-known 49406 320 1125 539 320 2368 49407.
    static readonly (string Text, int[] Ids)[] Reference =
    [
        ("a photo of a cat", [49406, 320, 1125, 539, 320, 2368, 49407]),
        ("a photo of a cat.", [49406, 320, 1125, 539, 320, 2368, 269, 49407]),
        ("A PHOTO of a Dog!!", [49406, 320, 1125, 539, 320, 1929, 748, 49407]),
        ("2 cats and 17 dogs", [49406, 273, 3989, 537, 272, 278, 3255, 49407]),
        ("it's they'll we've I'm you'd they're don't", [49406, 585, 568, 889, 1342, 649, 1200, 328, 880, 592, 1896, 889, 982, 847, 713, 49407]),
        ("hello...world?? (yes) -- #1 @home", [49406, 3306, 678, 1002, 2197, 263, 1958, 264, 2432, 258, 272, 287, 1137, 49407]),
        ("  tabs\tand\nnewlines \r\n  everywhere  ", [49406, 29163, 537, 1218, 3418, 6364, 49407]),
        ("supercalifragilisticexpialidocious", [49406, 1642, 2857, 13093, 2076, 5868, 26850, 835, 639, 38466, 49407]),
        ("café naïve Zürich", [49406, 15304, 1097, 35689, 563, 89, 6522, 4021, 49407]),
        ("i love 🐈 and 🍕!", [49406, 328, 793, 2074, 486, 537, 31469, 256, 49407]),
        ("", [49406, 49407]),
        ("<|startoftext|>x<|endoftext|>", [49406, 49406, 343, 49407, 49407]),
    ];

    [SharedDataFact]
    public void Encode_MatchesOpenAiReference_RealVocab()
    {
        var tok = Real();
        Assert.All(Reference, c => Assert.Equal(c.Ids, tok.Encode(c.Text)));
    }

    [SharedDataFact]
    public void Encode_LongText_TruncatedLikeReference_RealVocab()
    {
        var text = string.Join(' ', Enumerable.Range(0, 60).Select(i => $"word{i}"));
        int[] expected = [49406, 2653, 271, 2653, 272, 2653, 273, 2653, 274, 2653, 275, 2653, 276, 2653, 277, 2653, 278, 2653, 279, 2653, 280, 2653, 272, 271, 2653, 272, 272, 2653, 272, 273, 2653, 272, 274, 2653, 272, 275, 2653, 272, 276, 2653, 272, 277, 2653, 272, 278, 2653, 272, 279, 2653, 272, 280, 2653, 273, 271, 2653, 273, 272, 2653, 273, 273, 2653, 273, 274, 2653, 273, 275, 2653, 273, 276, 2653, 273, 277, 2653, 273, 278, 2653, 49407];
        Assert.Equal(expected, Real().Encode(text));
    }

    [SharedDataFact]
    public void Encode_DecomposedAccents_NormalisedToComposed_RealVocab()
    {
        var tok = Real();
        // "e" + U+0301 COMBINING ACUTE must tokenise as the precomposed "é" (ftfy's NFC in CLIP).
        Assert.Equal(tok.Encode("caf\u00e9 na\u00efve"), tok.Encode("cafe\u0301 nai\u0308ve"));
    }

    [SharedDataFact]
    public void Properties_RealVocab()
    {
        var tok = Real();
        Assert.Equal((49406, 49407, 49408, 77), (tok.StartOfText, tok.EndOfText, tok.VocabSize, tok.ContextLength));
    }

    [SharedDataFact]
    public void Decode_RoundTrips_RealVocab()
    {
        var tok = Real();
        Assert.Equal("a photo of a cat .", tok.Decode(tok.Encode("A photo of a cat.")));
        Assert.Equal("café naïve 🐈", tok.Decode(tok.Encode("café naïve 🐈")));
        Assert.Equal("supercalifragilisticexpialidocious", tok.Decode(tok.Encode("supercalifragilisticexpialidocious")));
    }

    [SharedDataFact]
    public void Encode_FromManyThreads_GivesSameIds_RealVocab()
    {
        var texts = Enumerable.Range(0, 400).Select(i => $"photo {i} of a {(i % 7 == 0 ? "dog" : "cat")}amaran{i % 13}thine").ToArray();
        var expected = texts.Select(Real().Encode).ToArray();
        var shared = Real();
        var actual = new int[texts.Length][];
        Parallel.For(0, texts.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => actual[i % texts.Length] = shared.Encode(texts[i % texts.Length]));
        Assert.Equal(expected, actual);
    }
}
