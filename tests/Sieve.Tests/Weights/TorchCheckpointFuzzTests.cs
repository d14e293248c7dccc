using System.Diagnostics;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Weights;

/// <summary>
/// Seeded mutations of valid PyTorch checkpoints — of the pickle inside an intact zip, and of the archive's own
/// bytes — opened and read in full: the only exception that may escape is <see cref="SieveFormatException"/>
/// with a one-line message. A read outside the file would surface as <see cref="InvalidOperationException"/>
/// from the mapping's own bounds check, and fail the test.
/// </summary>
public sealed class TorchCheckpointFuzzTests : IDisposable
{
    const int Cases = 6_000;

    readonly TempFolder _temp = new("sieve-torch-fuzz-");

    public void Dispose() => _temp.Dispose();

    static byte[] Bytes(IEnumerable<float> values) => [.. values.SelectMany(BitConverter.GetBytes)];

    /// <summary>Small archives that use every feature: shared storages, views, parameters, wrappers, F16 and I64, both protocols.</summary>
    static List<(string Name, byte[] Bytes)>[] Fixtures()
    {
        var save = new TorchSave();
        int f = save.Add("FloatStorage", Bytes(Enumerable.Range(0, 16).Select(i => i * 0.25f)));
        int h = save.Add("HalfStorage", [.. Enumerable.Range(0, 8).SelectMany(i => BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)(i - 4))))]);
        int l = save.Add("LongStorage", [.. Enumerable.Range(0, 4).SelectMany(i => BitConverter.GetBytes((long)i))]);
        var stateDict = TorchSave.StateDict([
            ("module.a.weight", new PyTensor(f, 0, [2, 3], [3, 1])),
            ("module.a.t", new PyTensor(f, 4, [3, 2], [1, 3], Parameter: true)),
            ("module.b", new PyTensor(h, 1, [2, 2], [4, 2])),
            ("module.ids", new PyTensor(l, 0, [1, 4], [4, 1])),
            ("module.s", new PyTensor(f, 15, [], [])),
        ]);
        var wrapped = new PyDict([("epoch", 2), ("state_dict", stateDict), ("best", 0.5), ("tags", new PyList("x", new PyTuple(1, 2.5, null, true)))]);
        return [save.Entries(stateDict, 2), save.Entries(wrapped, 4)];
    }

    [Fact]
    public void MutatedCheckpointsFailOnlyWithAFormatError()
    {
        var fixtures = Fixtures();
        int opened = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Cases; i++)
        {
            var rng = new Random(20_000 + i);
            var entries = fixtures[i % fixtures.Length].ToList();
            byte[] archive;
            if (i % 2 == 0)
            {
                // The pickle mutated inside an intact archive: the unpickler and the tensor checks.
                entries[0] = (entries[0].Name, Mutate(entries[0].Bytes, rng, maxEdits: 2));
                archive = TorchSave.Zip(entries);
            }
            else archive = Mutate(TorchSave.Zip(entries), rng, maxEdits: 4); // the zip structure itself
            string path = _temp.Overwrite("fuzz.bin", archive);
            try
            {
                using var file = TorchCheckpointFile.Open(path);
                foreach (var info in file.Tensors.Values)
                {
                    if (info.DType.IsReadableAsFloat()) file.ReadFloats(info.Name);
                    file.CopyBytes(info, Stream.Null);
                }
                opened++;
            }
            catch (SieveFormatException e)
            {
                Assert.False(e.Message.Contains('\n'), $"case {i}: a message of several lines: {e.Message}");
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i}: {e.GetType().Name} escaped: {e.Message}");
            }
        }
        // Both outcomes occur, so the mutations neither break everything nor miss the format.
        Assert.True(opened > Cases / 50 && refused > Cases / 4, $"opened {opened}, refused {refused} in {clock.Elapsed.TotalSeconds:F1} s");
    }

    static readonly byte[] Interesting = [0, 1, 0x7f, 0x80, 0xff, (byte)'(', (byte)'t', (byte)'R', (byte)'Q', (byte)'.', 0x8a, 0x94];

    /// <summary>One to <paramref name="maxEdits"/> edits: bit flips, interesting bytes, 32-bit values, inserted, removed or repeated runs, a cut.</summary>
    static byte[] Mutate(byte[] input, Random rng, int maxEdits)
    {
        var bytes = input.ToList();
        int edits = rng.Next(1, maxEdits + 1);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = rng.Next(bytes.Count);
            switch (rng.Next(7))
            {
                case 0: bytes[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: bytes[at] = Interesting[rng.Next(Interesting.Length)]; break;
                case 2:
                    uint value = rng.Next(3) switch { 0 => 0xFFFFFFFF, 1 => (uint)rng.Next(), _ => (uint)rng.Next(256) };
                    for (int k = 0; k < 4 && at + k < bytes.Count; k++) bytes[at + k] = (byte)(value >> (8 * k));
                    break;
                case 3: bytes.Insert(at, (byte)rng.Next(256)); break;
                case 4: bytes.RemoveRange(at, Math.Min(rng.Next(1, 16), bytes.Count - at)); break;
                case 5:
                    int length = Math.Min(rng.Next(1, 32), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        return [.. bytes];
    }
}
