using System.Security.Cryptography;
using Sieve.Tests.Support;
using Sieve.Weights;
using static Sieve.Tests.Weights.SafetensorsBytes;

namespace Sieve.Tests.Weights;

public sealed class SafetensorsFileTests : IDisposable
{
    readonly TempFolder _temp = new("sieve-weights-");

    public void Dispose() => _temp.Dispose();

    string WriteBytes(byte[] bytes, string name = "model.safetensors")
    {
        string path = _temp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Opening must fail with a message naming the file and containing every fragment.</summary>
    void AssertRejected(byte[] bytes, params string[] fragments)
    {
        string path = WriteBytes(bytes, "bad.safetensors");
        var e = Assert.Throws<SieveFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, e.Message);
        foreach (var fragment in fragments) Assert.Contains(fragment, e.Message);
    }

    /// <summary>A header written by hand: unsorted, unpadded, with spacing, every readable dtype and an I64 buffer.</summary>
    const string HandWrittenHeader = """
        { "__metadata__": {"format": "pt"},
          "b.bf16": {"dtype": "BF16", "shape": [2], "data_offsets": [8, 12]},
          "a.f32": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
          "c.f16": {"dtype": "F16", "shape": [1, 2], "data_offsets": [12, 16]},
          "d.f64": {"shape": [], "data_offsets": [16, 24], "dtype": "F64"},
          "e.ids": {"dtype": "I64", "shape": [1], "data_offsets": [24, 32]} }
        """;

    static byte[] HandWrittenFile() => Build(HandWrittenHeader,
    [
        .. F32(1.5f, -2f),
        .. U16(0x3F80, 0xC040), // BF16 1, -3
        .. U16(0x3C00, 0xC500), // F16 1, -5
        .. BitConverter.GetBytes(0.25),
        .. BitConverter.GetBytes(7L),
    ]);

    [Fact]
    public void Open_ReadsAHandWrittenFile()
    {
        using var file = SafetensorsFile.Open(WriteBytes(HandWrittenFile()));

        Assert.Equal(["b.bf16", "a.f32", "c.f16", "d.f64", "e.ids"], file.Tensors.Keys);
        Assert.Equal("pt", Assert.Single(file.Metadata).Value);
        Assert.Equal([1.5f, -2f], file.ReadFloats("a.f32"));
        Assert.Equal([1f, -3f], file.ReadFloats("b.bf16"));
        Assert.Equal([1f, -5f], file.ReadFloats("c.f16", 1, 2));
        Assert.Equal([0.25f], file.ReadFloats("d.f64"));

        var c = file.Get("c.f16");
        Assert.Equal(("c.f16", DType.F16, 12L, 4L, 2L), (c.Name, c.DType, c.Offset, c.ByteLength, c.ElementCount));
        Assert.Equal<int>([1, 2], c.Shape);
        Assert.Empty(file.Get("d.f64").Shape);
        Assert.Equal(1, file.Get("d.f64").ElementCount);
    }

    [Fact]
    public void ReadFloats_OfAnIntegerTensor_NamesTheTensorAndDType()
    {
        using var file = SafetensorsFile.Open(WriteBytes(HandWrittenFile()));

        Assert.Equal(DType.I64, file.Get("e.ids").DType);
        var e = Assert.Throws<SieveFormatException>(() => file.ReadFloats("e.ids"));
        Assert.Contains("'e.ids'", e.Message);
        Assert.Contains("I64", e.Message);
        Assert.Contains(file.Path, e.Message);
    }

    [Fact]
    public void ReadFloats_IntoASpan_ChecksItsLength()
    {
        using var file = SafetensorsFile.Open(WriteBytes(HandWrittenFile()));

        var buffer = new float[3];
        file.ReadFloats("a.f32", buffer.AsSpan(1));
        Assert.Equal([0f, 1.5f, -2f], buffer);
        var e = Assert.Throws<SieveFormatException>(() => file.ReadFloats("a.f32", new float[3]));
        Assert.Contains("'a.f32'", e.Message);
        Assert.Contains("2 elements", e.Message);
        Assert.Contains("expected 3", e.Message);
    }

    [Fact]
    public void ReadFloats_WithTheWrongShape_SaysBothShapes()
    {
        string path = _temp.File("vit.safetensors");
        new SafetensorsWriter().Add("blocks.0.attn.qkv.weight", [576, 192], new float[576 * 192]).Save(path);
        using var file = SafetensorsFile.Open(path);

        var e = Assert.Throws<SieveFormatException>(() => file.ReadFloats("blocks.0.attn.qkv.weight", 576, 193));
        Assert.Equal($"tensor 'blocks.0.attn.qkv.weight' in {path} has shape [576, 192], expected [576, 193]", e.Message);
        Assert.Throws<SieveFormatException>(() => file.ReadFloats("blocks.0.attn.qkv.weight", 576, 192, 1));
    }

    [Fact]
    public void Get_OfAMissingTensor_SuggestsCloseNames()
    {
        string path = _temp.File("vit.safetensors");
        new SafetensorsWriter()
            .Add("blocks.0.attn.qkv.weight", [1], [1])
            .Add("blocks.1.attn.qkv.weight", [1], [1])
            .Add("head.bias", [1], [1])
            .Save(path);
        using var file = SafetensorsFile.Open(path);

        Assert.False(file.Contains("blocks.0.attn.qkv.weigth"));
        var e = Assert.Throws<SieveFormatException>(() => file.Get("blocks.0.attn.qkv.weigth"));
        Assert.StartsWith($"tensor 'blocks.0.attn.qkv.weigth' not found in {path}", e.Message);
        Assert.Contains("did you mean 'blocks.0.attn.qkv.weight'", e.Message);

        e = Assert.Throws<SieveFormatException>(() => file.ReadFloats("text_projection"));
        Assert.Contains("'text_projection' not found", e.Message);
        Assert.DoesNotContain("did you mean", e.Message);
    }

    [Fact]
    public void ZeroLengthTensors_AreValidAnywhere()
    {
        // An empty range touching or inside another tensor's bytes overlaps nothing.
        var bytes = Build("""
            {"empty": {"dtype": "F32", "shape": [3, 0], "data_offsets": [4, 4]},
             "full": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "end": {"dtype": "BF16", "shape": [0], "data_offsets": [8, 8]}}
            """, F32(1, 2));
        using var file = SafetensorsFile.Open(WriteBytes(bytes));

        Assert.Empty(file.ReadFloats("empty", 3, 0));
        Assert.Empty(file.ReadFloats("end"));
        Assert.Equal(0, file.Get("empty").ElementCount);
        Assert.Equal([1f, 2f], file.ReadFloats("full"));
    }

    [Fact]
    public void Open_AcceptsGapsBetweenTensorsAndAnEmptyHeaderObject()
    {
        using (var file = SafetensorsFile.Open(WriteBytes(Build("""{"b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}""", F32(9, 9, 3)))))
            Assert.Equal([3f], file.ReadFloats("b"));
        using (var file = SafetensorsFile.Open(WriteBytes(Build("{}"), "empty.safetensors")))
            Assert.Empty(file.Tensors);
    }

    public static TheoryData<string, int, string[]> BadHeaders => new()
    {
        { "", 0, ["not valid JSON"] },
        { "hello", 0, ["not valid JSON"] },
        { """{"a": 1,}""", 0, ["not valid JSON"] },
        { "[1, 2]", 0, ["array", "expected an object"] },
        { """{"a": 5}""", 0, ["'a'", "number", "expected an object"] },
        { """{"w": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 4]}}""", 4, ["'w'", "unknown dtype 'Q7'", "F32"] },
        { """{"w": {"dtype": "f32", "shape": [1], "data_offsets": [0, 4]}}""", 4, ["'w'", "unknown dtype 'f32'"] },
        { """{"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}}""", 20, ["'w'", "[2, 3]", "24 bytes", "20 bytes"] },
        { """{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}""", 4, ["'w'", "[0, 8]", "beyond", "4 bytes"] },
        { """{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}""", 4, ["'w'", "[4, 8]", "beyond"] },
        { """{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", 12, ["'a'", "'b'", "overlap"] },
        { """{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}""", 16, ["'a'", "'b'", "overlap"] },
        { """{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}""", 0, ["'w'", "-1", "non-negative"] },
        { """{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 0]}}""", 0, ["'w'", "1.5", "integer"] },
        { """{"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}""", 8, ["'w'", "[8, 4]", "begin <= end"] },
        { """{"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}""", 8, ["'w'", "[-4, 0]", "non-negative"] },
        { """{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}""", 8, ["'w'", "[begin, end]"] },
        { """{"w": {"shape": [1], "data_offsets": [0, 4]}}""", 4, ["'w'", "no 'dtype'"] },
        { """{"w": {"dtype": "F32", "data_offsets": [0, 4]}}""", 4, ["'w'", "no 'shape'"] },
        { """{"w": {"dtype": "F32", "shape": [1]}}""", 4, ["'w'", "no 'data_offsets'"] },
        { """{"w": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}}""", 4, ["'w'", "'shape'", "number", "expected array"] },
        { """{"w": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}}""", 4, ["'w'", "'dtype'", "expected string"] },
        { """{"w": {"dtype": "F64", "shape": [2147483647, 2147483647, 2147483647], "data_offsets": [0, 8]}}""", 8, ["'w'", "too large"] },
        { """{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}""", 8, ["'w'", "more than once"] },
        { """{"__metadata__": {"format": 1}}""", 0, ["'__metadata__.format'", "expected a string"] },
        { """{"__metadata__": ["pt"]}""", 0, ["'__metadata__'", "array", "expected an object"] },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Open_RejectsABadHeader(string header, int dataBytes, string[] fragments) =>
        AssertRejected(Build(header, new byte[dataBytes]), fragments);

    [Fact]
    public void Open_RejectsAHeaderThatIsNotUtf8() =>
        AssertRejected(Build([(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []), "UTF-8");

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(7)]
    public void Open_RejectsFilesShorterThanTheLengthPrefix(int length) =>
        AssertRejected(new byte[length], $"{length} bytes long", "at least 8");

    [Theory]
    [InlineData(1000UL)]
    [InlineData(3UL)] // one byte more than follows
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 40)]
    public void Open_RejectsAHeaderLengthBeyondTheFile(ulong declared)
    {
        var bytes = Build("{}");
        BitConverter.GetBytes(declared).CopyTo(bytes, 0);
        AssertRejected(bytes, $"declares a header of {declared} bytes", "at most 2");
    }

    [Fact]
    public void Open_RejectsTruncatedFiles_AtEveryLength()
    {
        string path = _temp.File("good.safetensors");
        new SafetensorsWriter().Add("a", [3], [1, 2, 3], DType.F16).Add("b", [2, 2], [1, 2, 3, 4]).Save(path);
        var bytes = File.ReadAllBytes(path);

        for (int length = 0; length < bytes.Length; length++)
            Assert.Throws<SieveFormatException>(() => SafetensorsFile.Open(WriteBytes(bytes[..length], "cut.safetensors")).Dispose());
        AssertRejected(bytes[..^1], "'b'", "beyond");
    }

    [Fact]
    public void Open_OfACorruptedFile_EitherFailsCleanlyOrReadsWithinBounds()
    {
        var good = HandWrittenFile();
        var random = new Random(1);
        for (int trial = 0; trial < 500; trial++)
        {
            var bytes = (byte[])good.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);

            SafetensorsFile file;
            try { file = SafetensorsFile.Open(WriteBytes(bytes, "corrupt.safetensors")); }
            catch (SieveFormatException) { continue; }
            using (file)
            {
                foreach (var info in file.Tensors.Values.Where(t => t.DType.IsReadableAsFloat()))
                    Assert.Equal(info.ElementCount, file.ReadFloats(info.Name).Length);
            }
        }
    }

    [Fact]
    public void Open_NeverModifiesTheFile_AndAllowsSeveralReaders()
    {
        string path = _temp.File("model.safetensors");
        new SafetensorsWriter().AddMetadata("format", "pt").Add("w", [4, 4], new float[16], DType.BF16).Save(path);
        File.SetAttributes(path, FileAttributes.ReadOnly); // a read-only file must open: the mapping is read-only
        var hash = SHA256.HashData(File.ReadAllBytes(path));
        var written = File.GetLastWriteTimeUtc(path);

        using (var first = SafetensorsFile.Open(path))
        using (var second = SafetensorsFile.Open(path))
        {
            Assert.Equal(first.ReadFloats("w"), second.ReadFloats("w", 4, 4));
            Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(path))); // others can still read it meanwhile
        }

        Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(path)));
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void Dispose_KeepsTheEntriesButStopsReads()
    {
        var file = SafetensorsFile.Open(WriteBytes(HandWrittenFile()));
        file.Dispose();
        file.Dispose();

        Assert.Equal(DType.F32, file.Get("a.f32").DType);
        Assert.Throws<ObjectDisposedException>(() => file.ReadFloats("a.f32"));
    }
}
