using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Sieve.Weights;

namespace Sieve.Fitting;

/// <summary>
/// Which checkpoint a guidance file was fitted for: SHA-256 over every tensor's name, dtype and shape
/// (sorted by name) and the values of the position and class embeddings. The names and shapes tell
/// architectures apart; the embeddings tell apart two fine-tunes of one architecture, and are small
/// enough to read on every load. Two copies of one checkpoint — one file or shards, any folder — agree.
/// </summary>
internal static class ModelFingerprint
{
    static readonly string[] HashedValues = ["pos_embed", "position_embedding", "cls_token", "class_embedding"];

    /// <summary>The fingerprint of the checkpoint in <paramref name="directory"/>, as 64 hex digits.</summary>
    public static string Of(string directory)
    {
        var files = new List<SafetensorsFile>();
        try
        {
            string single = Path.Combine(directory, CheckpointFiles.SingleFile), index = Path.Combine(directory, CheckpointFiles.IndexFile);
            if (File.Exists(single)) files.Add(SafetensorsFile.Open(single));
            else if (File.Exists(index))
                foreach (string shard in CheckpointFiles.ReadWeightMap(index).Values.Distinct().Order(StringComparer.Ordinal))
                    files.Add(SafetensorsFile.Open(Path.Combine(directory, Path.GetFileName(shard))));
            else throw new SieveFormatException($"{directory}: no {CheckpointFiles.SingleFile} and no {CheckpointFiles.IndexFile}; the folder holds no weights");

            var tensors = files.SelectMany(f => f.Tensors.Values.Select(t => (File: f, Info: t))).OrderBy(t => t.Info.Name, StringComparer.Ordinal).ToList();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var (_, info) in tensors)
                hash.AppendData(Encoding.UTF8.GetBytes($"{info.Name}:{info.DType.ToSafetensorsName()}:{string.Join(',', info.Shape)}\n"));
            foreach (var (file, info) in tensors.Where(t => HashedValues.Any(t.Info.Name.Contains)))
                hash.AppendData(MemoryMarshal.AsBytes(file.ReadFloats(info.Name).AsSpan()));
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        finally
        {
            foreach (var file in files) file.Dispose();
        }
    }
}
