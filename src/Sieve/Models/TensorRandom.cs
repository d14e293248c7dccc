using System.Text;

namespace Sieve.Models;

/// <summary>
/// A stream of uniform floats that depends only on a seed and a tensor's name: a SplitMix64 generator
/// started from the seed mixed with the name's FNV-1a hash. <see cref="string.GetHashCode()"/> is not used
/// because it changes from process to process; this is stable across runs, machines and .NET versions.
/// </summary>
internal struct TensorRandom
{
    ulong _state;

    public TensorRandom(int seed, string name) => _state = Mix(Hash(name) ^ Mix((ulong)(uint)seed));

    /// <summary>The 64-bit FNV-1a hash of the name's UTF-8 bytes.</summary>
    internal static ulong Hash(string name)
    {
        ulong hash = 14695981039346656037UL; // offset basis
        foreach (byte b in Encoding.UTF8.GetBytes(name)) hash = (hash ^ b) * 1099511628211UL; // FNV prime
        return hash;
    }

    /// <summary>A float uniform in [0, 1), 24 random bits.</summary>
    public float NextSingle()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return (Mix(_state) >> 40) * (1f / (1 << 24));
    }

    /// <summary>SplitMix64's finaliser: every input bit affects every output bit.</summary>
    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
