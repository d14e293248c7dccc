using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Weights;

public sealed class SafetensorsWriterTests : IDisposable
{
    readonly TempFolder _temp = new("sieve-weights-");

    public void Dispose() => _temp.Dispose();

    /// <summary>Edge cases for both 16-bit formats, then enough random values to exercise the vector loops' tails.</summary>
    static float[] Values()
    {
        float[] special =
        [
            0f, -0f, 1f, -1f, 1f / 3, MathF.PI, 65504f, 65520f, 70000f, 1e-5f, 1e-8f, -2.5e-7f,
            float.MaxValue, float.Epsilon, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
            BitConverter.UInt32BitsToSingle(0x3F808000), // BF16 tie, even below: rounds down
            BitConverter.UInt32BitsToSingle(0x3F818000), // BF16 tie, odd below: rounds up
            BitConverter.UInt32BitsToSingle(0x3F808001), // just above the tie: rounds up
            BitConverter.UInt32BitsToSingle(0xBF807FFF), // just below the tie, negative: rounds down in magnitude
        ];
        var random = new Random(7);
        return [.. special, .. Enumerable.Range(0, 40).Select(_ => (float)(random.NextDouble() * 20 - 10))];
    }

    /// <summary>bfloat16 rounding written out bit by bit, independently of the library's bias trick.</summary>
    static float RoundToBFloat16(float x)
    {
        if (float.IsNaN(x)) return float.NaN;
        uint bits = BitConverter.SingleToUInt32Bits(x);
        uint kept = bits & 0xFFFF0000, dropped = bits & 0xFFFF;
        bool keptIsOdd = (kept & 0x10000) != 0;
        bool up = dropped > 0x8000 || (dropped == 0x8000 && keptIsOdd);
        return BitConverter.UInt32BitsToSingle(up ? kept + 0x10000 : kept);
    }

    static float Expected(DType dtype, float x) => dtype switch
    {
        DType.F32 => x,
        DType.F16 => (float)(Half)x,
        DType.BF16 => RoundToBFloat16(x),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Bit-exact comparison (so -0 differs from 0), treating any NaN as equal to any NaN.</summary>
    internal static void AssertSameFloats(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]) && float.IsNaN(actual[i])) continue;
            Assert.True(BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(actual[i]),
                $"element {i}: expected {expected[i]:R}, found {actual[i]:R}");
        }
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void RoundTrip_GivesTheValuesRoundedToTheDType(DType dtype)
    {
        var values = Values();
        string path = _temp.File("model.safetensors");
        new SafetensorsWriter().Add("w", [values.Length], values, dtype).Save(path);

        using var file = SafetensorsFile.Open(path);
        var info = file.Get("w");
        Assert.Equal(dtype, info.DType);
        Assert.Equal<int>([values.Length], info.Shape);
        Assert.Equal(values.Length * dtype.ElementSize(), info.ByteLength);
        AssertSameFloats(values.Select(v => Expected(dtype, v)).ToArray(), file.ReadFloats("w"));
    }

    [Fact]
    public void RoundTrip_KeepsShapesOfSeveralTensorsIncludingScalarAndEmpty()
    {
        string path = _temp.File("model.safetensors");
        new SafetensorsWriter()
            .Add("matrix", [2, 3], [1, 2, 3, 4, 5, 6])
            .Add("scalar", [], [42])
            .Add("empty", [0, 4], [], DType.BF16)
            .Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(3, file.Tensors.Count);
        Assert.Equal([1f, 2, 3, 4, 5, 6], file.ReadFloats("matrix", 2, 3));
        Assert.Equal([42f], file.ReadFloats("scalar"));
        Assert.Equal(1, file.Get("scalar").ElementCount);
        Assert.Empty(file.ReadFloats("empty", 0, 4));
    }

    [Fact]
    public void RoundTrip_ReadsTensorsAtUnalignedOffsets()
    {
        // "a" is 3 F16 values (6 bytes), so "b" starts at a data offset that is not a multiple of 4.
        string path = _temp.File("model.safetensors");
        new SafetensorsWriter().Add("a", [3], [1, 2, 3], DType.F16).Add("b", [5], [0.1f, 0.2f, 0.3f, 0.4f, 0.5f]).Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(6, file.Get("b").Offset);
        Assert.Equal([0.1f, 0.2f, 0.3f, 0.4f, 0.5f], file.ReadFloats("b"));
    }

    [Fact]
    public void Metadata_RoundTrips()
    {
        string path = _temp.File("model.safetensors");
        new SafetensorsWriter()
            .AddMetadata("format", "pt")
            .AddMetadata("source", "test \"quoted\" ünïcode")
            .Add("w", [1], [1])
            .Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["source"] = "test \"quoted\" ünïcode" }, file.Metadata);
        Assert.False(file.Contains("__metadata__"));
    }

    [Fact]
    public void Metadata_IsEmptyWhenNoneWasWritten()
    {
        string path = _temp.File("model.safetensors");
        new SafetensorsWriter().Add("w", [1], [1]).Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Header_IsSpacePaddedToAMultipleOf8_WithTensorsInNameOrder()
    {
        // Names of every length modulo 8 leave every amount of padding to do.
        for (int extra = 0; extra < 8; extra++)
        {
            string path = _temp.File($"model{extra}.safetensors");
            new SafetensorsWriter()
                .Add("zeta" + new string('x', extra), [2], [1, 2])
                .Add("alpha", [1], [3], DType.BF16)
                .Add("Mid", [3], [4, 5, 6], DType.F16)
                .Save(path);

            var bytes = File.ReadAllBytes(path);
            long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.Equal(0, headerLength % 8);
            string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
            Assert.EndsWith("}", header.TrimEnd(' ')); // padding is spaces only

            using var json = JsonDocument.Parse(header);
            var names = json.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
            Assert.Equal(["Mid", "alpha", "zeta" + new string('x', extra)], names); // ordinal: upper case first
            var begins = names.Select(n => json.RootElement.GetProperty(n).GetProperty("data_offsets")[0].GetInt64()).ToArray();
            Assert.Equal([0L, 6, 8], begins);
            Assert.Equal(8 + headerLength + 16, bytes.Length);
        }
    }

    [Fact]
    public void Save_ReplacesAnExistingFileAndLeavesNoTemporaryFile()
    {
        string path = _temp.File("model.safetensors");
        new SafetensorsWriter().Add("old", [1], [1]).Save(path);
        new SafetensorsWriter().Add("new", [1], [2]).Save(path);

        Assert.Equal([path], Directory.GetFiles(_temp.Path));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["new"], file.Tensors.Keys);
    }

    [Fact]
    public void Add_RejectsDataThatDoesNotMatchTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new SafetensorsWriter().Add("blocks.0.w", [2, 3], new float[5]));
        Assert.Contains("blocks.0.w", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("6 elements", e.Message);
        Assert.Contains("5 values", e.Message);
    }

    [Fact]
    public void Add_RejectsDuplicatesReservedNamesNegativeSizesAndUnwritableDTypes()
    {
        var writer = new SafetensorsWriter().Add("w", [1], [1]);
        Assert.Contains("already", Assert.Throws<ArgumentException>(() => writer.Add("w", [1], [1])).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", [1], [1])).Message);
        Assert.Contains("non-negative", Assert.Throws<ArgumentException>(() => writer.Add("n", [-1], [])).Message);
        Assert.Contains("I64", Assert.Throws<ArgumentException>(() => writer.Add("i", [1], [1], DType.I64)).Message);
    }
}
