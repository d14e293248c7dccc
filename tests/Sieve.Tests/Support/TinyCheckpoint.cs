using System.Text.Json;
using Sieve.Weights;

namespace Sieve.Tests.Support;

/// <summary>
/// Builds a checkpoint in a model's exact tensor layout with seeded random weights, keeps the values
/// as they will read back (rounded to the storage dtype, rounded here independently of the library),
/// and writes it as <c>model.safetensors</c> + <c>config.json</c> into a temporary folder.
/// </summary>
public sealed class TinyCheckpoint(int seed, DType dtype) : IDisposable
{
    /// <summary>The dtype the tensors are stored as.</summary>
    public DType DType => dtype;

    readonly Random _rng = new(seed);
    readonly List<(string Name, int[] Shape)> _order = [];

    /// <summary>Every tensor's name and shape, in the order added.</summary>
    public IReadOnlyList<(string Name, int[] Shape)> Order => _order;

    public Dictionary<string, double[]> Values { get; } = [];
    public Dictionary<string, float[]> Stored { get; } = [];
    readonly TempFolder _folder = new("sieve-checkpoint-");

    public string Directory => _folder.Path;

    public double[] this[string name] => Values[name];

    public void Add(string name, int[] shape, float std = 0.1f, float mean = 0f)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var stored = Rand.Normal(_rng, n, std, mean).Select(Round).ToArray();
        Stored[name] = stored;
        Values[name] = Array.ConvertAll(stored, v => (double)v);
        _order.Add((name, shape));
    }

    float Round(float x) => dtype switch
    {
        DType.F16 => (float)(Half)x,
        DType.BF16 => RoundBf16(x),
        _ => x,
    };

    // Round to nearest even on the upper 16 bits, as PyTorch's float → bfloat16 does.
    static float RoundBf16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000);
    }

    public string Save(object config, string file = "model.safetensors")
    {
        var writer = new SafetensorsWriter();
        foreach (var (name, shape) in _order) writer.Add(name, shape, Stored[name], dtype);
        writer.Save(System.IO.Path.Combine(Directory, file));
        File.WriteAllText(System.IO.Path.Combine(Directory, "config.json"), JsonSerializer.Serialize(config));
        return Directory;
    }

    public void Dispose() => _folder.Dispose();
}
