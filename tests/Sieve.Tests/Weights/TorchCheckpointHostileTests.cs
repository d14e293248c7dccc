using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Weights;

/// <summary>
/// Malicious and broken PyTorch checkpoints: each is refused with one line naming the problem, before any of
/// it is used; nothing in a pickle is ever run, and no input makes the reader crash, read out of range or grow
/// without bound.
/// </summary>
public sealed class TorchCheckpointHostileTests : IDisposable
{
    readonly TempFolder _temp = new("sieve-torch-hostile-");

    public void Dispose() => _temp.Dispose();

    static byte[] F32(IEnumerable<float> values) => [.. values.SelectMany(BitConverter.GetBytes)];

    static (TorchSave Save, int Storage) OneStorage(int elements = 24)
    {
        var save = new TorchSave();
        return (save, save.Add("FloatStorage", F32(Enumerable.Range(0, elements).Select(i => (float)i))));
    }

    string WriteBytes(byte[] bytes, string name = "model.bin") => _temp.Overwrite(name, bytes);

    /// <summary>Opening <paramref name="path"/> fails with one line, which contains <paramref name="expected"/>; returns it.</summary>
    static string Refused(string path, string expected)
    {
        var e = Assert.Throws<SieveFormatException>(() => TorchCheckpointFile.Open(path).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in: {e.Message}");
        return e.Message;
    }

    public static TheoryData<string, string, int> Calls => new()
    {
        { "posix", "system", 2 },
        { "os", "system", 4 },
        { "nt", "system", 2 },
        { "builtins", "eval", 2 },
        { "builtins", "exec", 4 },
        { "subprocess", "Popen", 4 },
        { "__main__", "Exploit", 2 },   // the __reduce__ of a class of the attacker's own
        { "torch", "load", 4 },         // torch itself, but not a storage type or dtype
        { "torch._utils", "_rebuild_qtensor", 2 },
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public void GlobalsBeyondTheStateDictsAreRefusedAndNeverRun(string module, string name, int protocol)
    {
        string marker = _temp.File("ran");
        var (save, s) = OneStorage();
        var root = TorchSave.StateDict([("w", new PyTensor(s, 0, [2], [1]))]) with { };
        var hostile = new PyDict([.. root.Items, ("payload", new PyCall(module, name, $"touch {marker}"))], Ordered: true);
        string path = WriteBytes(save.Build(hostile, protocol));

        Assert.Equal($"refusing to load {path}: the pickle calls `{module}.{name}`; Sieve never runs code from a checkpoint and reads only tensors, storages and plain values",
            Refused(path, "refusing to load"));
        Assert.False(File.Exists(marker));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'i' }, "INST ('i')")]
    [InlineData(new byte[] { (byte)'c', (byte)'c', (byte)'o', (byte)'l', (byte)'l', (byte)'e', (byte)'c', (byte)'t', (byte)'i', (byte)'o', (byte)'n', (byte)'s', 10, (byte)'O', (byte)'r', (byte)'d', (byte)'e', (byte)'r', (byte)'e', (byte)'d', (byte)'D', (byte)'i', (byte)'c', (byte)'t', 10, (byte)')', 0x81 }, "NEWOBJ (0x81)")]
    [InlineData(new byte[] { 0x82, 1 }, "EXT (0x82)")]
    [InlineData(new byte[] { (byte)'P', (byte)'0', 10 }, "PERSID ('P')")]
    [InlineData(new byte[] { 0x8f }, "EMPTY_SET (0x8f)")]
    [InlineData(new byte[] { 0x97 }, "NEXT_BUFFER (0x97)")]
    [InlineData(new byte[] { 0xff }, "unknown (0xff)")]
    public void OpcodesAStateDictDoesNotNeedAreRefusedByName(byte[] ops, string name)
    {
        var (save, _) = OneStorage();
        string path = WriteBytes(save.Build(new PyRaw(ops)));
        Refused(path, $"refusing to load {path}: data.pkl uses the pickle opcode {name} at byte");
    }

    [Fact]
    public void AStorageTheArchiveLacksIsNamed()
    {
        var save = new TorchSave();
        save.Add("FloatStorage", F32([1f, 2f]));
        int missing = save.Add("FloatStorage", F32([3f]));
        var entries = save.Entries(TorchSave.StateDict([("a", new PyTensor(0, 0, [2], [1])), ("b", new PyTensor(missing, 0, [1], [1]))]));
        entries.RemoveAll(e => e.Name == "archive/data/1");
        string path = WriteBytes(TorchSave.Zip(entries));
        Refused(path, $"{path}: data.pkl refers to storage '1', which the archive does not hold (no archive/data/1)");
    }

    [Theory]
    [InlineData(30, new long[] { 2, 3 }, new long[] { 3, 1 }, "reads elements 30 to 35 of storage '0', which holds 24 elements of F32")]
    [InlineData(0, new long[] { 4, 6 }, new long[] { 6, 2 }, "reads elements 0 to 28 of storage '0', which holds 24 elements of F32")]
    [InlineData(23, new long[] { 2 }, new long[] { 1 }, "reads elements 23 to 24 of storage '0'")]
    [InlineData(-1, new long[] { 2 }, new long[] { 1 }, "reads elements -1 to 0 of storage '0'")]
    [InlineData(0, new long[] { 100_000, 100_000 }, new long[] { 1, 1 }, "reads elements 0 to 199998 of storage '0'")]
    [InlineData(0, new long[] { 1L << 31 }, new long[] { 0 }, "has a dimension of more than 2147483647 elements")]
    public void ViewsReachingPastTheirStorageAreRefused(long offset, long[] shape, long[] strides, string expected)
    {
        var (save, s) = OneStorage();
        string path = WriteBytes(save.Build(TorchSave.StateDict([("w", new PyTensor(s, offset, shape, strides))])));
        Refused(path, $"tensor 'w' in {path} {expected}");
    }

    [Fact]
    public void AStorageDeclaringMoreThanItsEntryHoldsIsRefused()
    {
        var (save, s) = OneStorage();
        var entries = save.Entries(TorchSave.StateDict([("w", new PyTensor(s, 0, [2], [1]))]));
        int at = entries.FindIndex(e => e.Name == "archive/data/0");
        entries[at] = (entries[at].Name, entries[at].Bytes[..40]);
        string path = WriteBytes(TorchSave.Zip(entries));
        Refused(path, $"{path}: storage '0' declares 24 elements of F32, 96 bytes; its entry holds 40");
    }

    byte[] ValidArchive()
    {
        var (save, s) = OneStorage();
        return save.Build(TorchSave.StateDict([("w", new PyTensor(s, 0, [4, 6], [6, 1])), ("b", new PyTensor(s, 3, [2], [1]))]));
    }

    [Fact]
    public void EveryTruncationIsRefused()
    {
        var bytes = ValidArchive();
        for (int length = 0; length < bytes.Length; length++)
        {
            string path = WriteBytes(bytes[..length], "cut.bin");
            var e = Assert.Throws<SieveFormatException>(() => TorchCheckpointFile.Open(path).Dispose());
            Assert.DoesNotContain('\n', e.Message);
        }
        Refused(WriteBytes(bytes[..(bytes.Length / 2)]), "not a readable zip archive: no end-of-central-directory record; the file is cut short or not a zip archive");
    }

    /// <summary>Edits the central-directory entry of <paramref name="name"/> (its 46-byte fixed part) in place.</summary>
    static void EditCentral(byte[] zip, string name, Action<Span<byte>> edit)
    {
        var needle = Encoding.UTF8.GetBytes(name);
        for (int at = 0; at + 46 + needle.Length <= zip.Length; at++)
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(at)) == 0x02014b50
                && BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 28)) == needle.Length
                && zip.AsSpan(at + 46, needle.Length).SequenceEqual(needle))
            {
                edit(zip.AsSpan(at, 46));
                return;
            }
        throw new ArgumentException($"no central entry {name}");
    }

    [Fact]
    public void AHugeDeclaredSizeIsRefusedBeforeAnythingIsInflated()
    {
        var zip = ValidArchive();
        EditCentral(zip, "archive/data.pkl", c =>
        {
            BinaryPrimitives.WriteUInt16LittleEndian(c[10..], 8);                  // deflate
            BinaryPrimitives.WriteUInt32LittleEndian(c[24..], 0xFFFFFFF0);         // 4 GiB once inflated
        });
        string path = WriteBytes(zip);
        Refused(path, $"{path}: not a readable zip archive: entry 'archive/data.pkl' declares 4294967280 bytes; expected at most {TorchCheckpointFile.MaxPickleLength}");
    }

    [Fact]
    public void ADeflateBombInflatesNoFurtherThanItsDeclaredSize()
    {
        // 256 MiB of zeros deflate to about 256 KiB; the entry claims 1,000 bytes.
        var bomb = new MemoryStream();
        using (var deflate = new DeflateStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) deflate.Write(zeros);
        }
        var (save, _) = OneStorage();
        var entries = save.Entries(null);
        entries[0] = ("archive/data.pkl", bomb.ToArray());
        var zip = TorchSave.Zip(entries);
        EditCentral(zip, "archive/data.pkl", c =>
        {
            BinaryPrimitives.WriteUInt16LittleEndian(c[10..], 8);
            BinaryPrimitives.WriteUInt32LittleEndian(c[24..], 1000);
        });
        string path = WriteBytes(zip);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Refused(path, "entry 'archive/data.pkl' does not inflate to its declared 1000 bytes");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the reader inflated far past the declared size");
    }

    [Fact]
    public void CompressedStoragesAndOverlappingEntriesAreRefused()
    {
        var zip = ValidArchive();
        EditCentral(zip, "archive/data/0", c => BinaryPrimitives.WriteUInt16LittleEndian(c[10..], 8));
        string path = WriteBytes(zip);
        Refused(path, $"{path}: storage '0' is compressed in the archive; torch.save stores storages uncompressed");

        zip = ValidArchive();
        uint pickleHeader = 0;
        EditCentral(zip, "archive/data.pkl", c => pickleHeader = BinaryPrimitives.ReadUInt32LittleEndian(c[42..]));
        EditCentral(zip, "archive/version", c => BinaryPrimitives.WriteUInt32LittleEndian(c[42..], pickleHeader));
        Refused(WriteBytes(zip), "entry 'archive/version' has another name in its local header");

        // data.pkl stretched over the entry after it: two entries would share bytes.
        zip = ValidArchive();
        EditCentral(zip, "archive/data.pkl", c =>
        {
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(c[20..]) + 100;
            BinaryPrimitives.WriteUInt32LittleEndian(c[20..], size);
            BinaryPrimitives.WriteUInt32LittleEndian(c[24..], size);
        });
        Refused(WriteBytes(zip), "not a readable zip archive: entries 'archive/data.pkl' and 'archive/byteorder' overlap");
    }

    [Fact]
    public void DeepNestingIsBoundedEverywhere()
    {
        var (save, _) = OneStorage();
        const int depth = 200_000;
        // [[[…]]]: 200,000 lists, each appended into the one below.
        var lists = new byte[2 * depth];
        lists.AsSpan(0, depth).Fill((byte)']');
        lists.AsSpan(depth, depth - 1).Fill((byte)'a');
        string path = WriteBytes(save.Build(new PyRaw(lists[..(2 * depth - 1)])));
        Refused(path, $"{path}: the top level is a list; expected a state dict");

        // {"model": {"model": …}}: wrappers are followed 8 deep, no further.
        object? nested = new PyDict([]);
        for (int i = 0; i < 2_000; i++) nested = new PyDict([("model", nested)]);
        path = WriteBytes(save.Build(nested));
        Refused(path, $"{path}: no state dict within 8 levels of nesting");

        // A key nested 200,000 tuples deep, quoted in the error: described three levels down.
        var tuples = new byte[depth + 2];
        tuples[0] = (byte)'N';
        tuples.AsSpan(1, depth).Fill(0x85);
        var keyed = new PyRaw([(byte)'}', .. tuples.AsSpan(0, depth + 1), (byte)'N', (byte)'s']);
        path = WriteBytes(save.Build(keyed));
        Refused(path, "holds no tensors (keys ((((…))))); expected a state dict");
    }

    [Fact]
    public void MoreContainersThanAStateDictHoldsAreRefused()
    {
        var (save, _) = OneStorage();
        var ops = new byte[2 * (TorchPickle.MaxContainers + 1)];
        for (int i = 0; i < ops.Length; i += 2) (ops[i], ops[i + 1]) = ((byte)']', (byte)'0'); // EMPTY_LIST, POP
        Refused(WriteBytes(save.Build(new PyRaw([.. ops, (byte)'N']))), "more than 1,000,000 lists, tuples and dicts");
    }

    [Theory]
    [InlineData(new byte[] { 0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "an integer of 9 bytes; at most 8 are supported")]
    [InlineData(new byte[] { (byte)'h', 7 }, "memo entry 7 is read before it is written")]
    [InlineData(new byte[] { (byte)'X', 0xff, 0xff, 0xff, 0x7f }, "a length of 2147483647 bytes, beyond the")]
    [InlineData(new byte[] { 0x8c, 2, 0xc3, 0x28 }, "a string that is not UTF-8")]
    [InlineData(new byte[] { (byte)'s' }, "an opcode needs 2 values and the stack holds 0")]
    [InlineData(new byte[] { (byte)'N', (byte)'N' }, "STOP with 2 values on the stack; expected one")]
    [InlineData(new byte[] { (byte)')', (byte)'Q' }, "persistent id (); expected ('storage', torch.<Type>Storage, key, location, numel)")]
    [InlineData(new byte[] { (byte)'c', (byte)'t', (byte)'o', (byte)'r', (byte)'c', (byte)'h', 10, (byte)'F', (byte)'l', (byte)'o', (byte)'a', (byte)'t', (byte)'S', (byte)'t', (byte)'o', (byte)'r', (byte)'a', (byte)'g', (byte)'e', 10, (byte)')', (byte)'R' }, "REDUCE calls `torch.FloatStorage`, which is not a function Sieve knows")]
    public void MalformedPicklesAreNamedWithTheirByte(byte[] ops, string expected)
    {
        var (save, _) = OneStorage();
        string path = WriteBytes(save.Build(new PyRaw(ops)));
        Refused(path, $"{path}: data.pkl is malformed at byte");
        Refused(path, expected);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void APickleCutAnywhereIsRefused(int protocol)
    {
        var (save, s) = OneStorage();
        var entries = save.Entries(TorchSave.StateDict([("w", new PyTensor(s, 0, [2], [1]))]), protocol);
        var pickle = entries[0].Bytes;
        for (int length = 0; length < pickle.Length; length++)
        {
            entries[0] = (entries[0].Name, pickle[..length]);
            string path = WriteBytes(TorchSave.Zip(entries));
            Refused(path, $"{path}: data.pkl is malformed at byte");
        }
        entries[0] = (entries[0].Name, pickle[..^1]); // all but STOP
        Refused(WriteBytes(TorchSave.Zip(entries)), "the pickle ends in the middle of an opcode (cut short?)");
    }

    [Fact]
    public void TorchScriptLegacyAndForeignFilesAreNamedForWhatTheyAre()
    {
        var (save, s) = OneStorage();
        var entries = save.Entries(TorchSave.StateDict([("w", new PyTensor(s, 0, [2], [1]))]));
        entries.Add(("archive/constants.pkl", [0x80, 2, (byte)')', (byte)'.']));
        entries.Add(("archive/code/__torch__/model.py", "def forward(self, x): ..."u8.ToArray()));
        string path = WriteBytes(TorchSave.Zip(entries), "ViT-B-16.pt");
        Refused(path, $"{path} is a TorchScript archive (torch.jit.save: a program with its weights), which Sieve does not load; use the model's Hugging Face version");

        // torch.save before 1.6: a magic number pickled with protocol 2, then the state dict, then raw storages.
        path = WriteBytes([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, (byte)'.', .. new byte[40]], "legacy.pth");
        Refused(path, $"{path} is a PyTorch checkpoint in the legacy format (a bare pickle, before PyTorch 1.6)");

        path = WriteBytes(Encoding.UTF8.GetBytes("{\"not\": \"a checkpoint\", \"padding\": \"...........\"}"), "weights.bin");
        Refused(path, $"{path} is not a PyTorch checkpoint: torch.save writes a zip archive");

        path = WriteBytes(TorchSave.Zip([("archive/byteorder", "big"u8.ToArray()), .. save.Entries(null).Where(e => e.Name != "archive/byteorder")]));
        Refused(path, "storages are in 'big' byte order; Sieve reads little-endian checkpoints only");
    }

    [Fact]
    public void StateDictsHoldingOtherValuesOrNoTensorsAreRefusedByName()
    {
        var (save, s) = OneStorage();
        string path = WriteBytes(save.Build(new PyDict([("w", new PyTensor(s, 0, [2], [1])), ("epoch", 3)])));
        Refused(path, $"{path}: the state dict at the top level holds an int under 'epoch'; expected only tensors");

        path = WriteBytes(save.Build(new PyDict([("epoch", 3), ("best", 0.5)])));
        Refused(path, $"{path}: the top level holds no tensors (keys 'epoch', 'best'); expected a state dict, or one under 'state_dict', 'model'");

        path = WriteBytes(save.Build(new PyDict([(7L, new PyTensor(s, 0, [2], [1]))])));
        Refused(path, "has the key 7; tensor names must be strings");
    }
}
