using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Sieve.Weights;

/// <summary>
/// Which checkpoint a guidance file was fitted for: SHA-256 over every tensor's name, dtype and shape
/// (sorted by name) and the values of the position and class embeddings. The names and shapes tell
/// architectures apart; the embeddings tell apart two fine-tunes of one architecture, and are small
/// enough to read on every load. Two copies of one checkpoint — one file or shards, safetensors or PyTorch, any
/// folder — agree.
/// </summary>
internal static class ModelFingerprint
{
    static readonly string[] HashedValues = ["pos_embed", "position_embedding", "cls_token", "class_embedding"];

    /// <summary>The fingerprint of the checkpoint in <paramref name="directory"/>, as 64 hex digits.</summary>
    public static string Of(string directory)
    {
        using var checkpoint = CheckpointFiles.Open(directory);
        var tensors = checkpoint.Tensors.ToList();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var info in tensors)
            hash.AppendData(Encoding.UTF8.GetBytes($"{info.Name}:{info.DType.ToSafetensorsName()}:{string.Join(',', info.Shape)}\n"));
        foreach (var info in tensors.Where(t => HashedValues.Any(t.Name.Contains)))
            hash.AppendData(MemoryMarshal.AsBytes(checkpoint.ReadFloats(info.Name).AsSpan()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
