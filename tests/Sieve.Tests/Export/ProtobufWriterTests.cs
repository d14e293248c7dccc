using Google.Protobuf;
using Sieve.Export;

namespace Sieve.Tests.Export;

public class ProtobufWriterTests
{
    static byte[] Bytes(Action<ProtobufWriter> write)
    {
        using var stream = new MemoryStream();
        var writer = new ProtobufWriter(stream);
        write(writer);
        Assert.Equal(stream.Length, writer.Length);
        return stream.ToArray();
    }

    [Fact]
    public void FieldsEncodeAsWorkedOutByHand()
    {
        var bytes = Bytes(w =>
        {
            w.Int64(1, 150);                      // tag 1·8+0 = 0x08; 150 = 0b1_0010110 → 0x96 0x01
            w.String(2, "testing");               // tag 2·8+2 = 0x12; length 7; ASCII
            w.Int64(3, -1);                       // tag 0x18; two's complement, 64 one-bits → nine 0xFF then 0x01
            w.Float(4, 1f);                       // tag 4·8+5 = 0x25; 0x3F800000 little-endian
            w.Message(5, m => m.Int64(1, 150));   // tag 5·8+2 = 0x2A; length 3; the three bytes of the first field
            w.Bytes(16, [1, 2]);                  // tag 16·8+2 = 130 → varint 0x82 0x01; length 2; bytes
        });
        byte[] expected =
        [
            0x08, 0x96, 0x01,
            0x12, 0x07, (byte)'t', (byte)'e', (byte)'s', (byte)'t', (byte)'i', (byte)'n', (byte)'g',
            0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
            0x25, 0x00, 0x00, 0x80, 0x3F,
            0x2A, 0x03, 0x08, 0x96, 0x01,
            0x82, 0x01, 0x02, 0x01, 0x02,
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void MatchesGoogleProtobufOnRandomFields()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            int field = rng.Next(1, 1 << 20);
            long value = rng.Next(4) switch { 0 => rng.Next(128), 1 => rng.NextInt64(), 2 => -rng.NextInt64(), _ => long.MinValue };
            float f = (float)(rng.NextDouble() * 2e6 - 1e6);
            string text = new(Enumerable.Range(0, rng.Next(0, 300)).Select(_ => (char)rng.Next(32, 0x3000)).ToArray());
            var ours = Bytes(w =>
            {
                w.Int64(field, value);
                w.Float(field, f);
                w.String(field, text);
                w.Message(field, m => { m.String(1, text); m.Int64(2, value); });
            });

            using var stream = new MemoryStream();
            var inner = new MemoryStream();
            var innerOut = new CodedOutputStream(inner);
            innerOut.WriteTag(1, WireFormat.WireType.LengthDelimited);
            innerOut.WriteString(text);
            innerOut.WriteTag(2, WireFormat.WireType.Varint);
            innerOut.WriteInt64(value);
            innerOut.Flush();
            var output = new CodedOutputStream(stream);
            output.WriteTag(field, WireFormat.WireType.Varint);
            output.WriteInt64(value);
            output.WriteTag(field, WireFormat.WireType.Fixed32);
            output.WriteFloat(f);
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteString(text);
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(inner.ToArray()));
            output.Flush();
            Assert.Equal(stream.ToArray(), ours);
        }
    }

    [Fact]
    public void SizeOfCountsWithoutWriting()
    {
        void Body(ProtobufWriter w)
        {
            w.Message(7, g =>
            {
                for (int i = 0; i < 3; i++) g.Message(1, n => { n.String(1, $"node {i}"); n.Bytes(9, new byte[300]); });
            });
        }
        Assert.Equal(Bytes(Body).Length, ProtobufWriter.SizeOf(Body));
    }
}
