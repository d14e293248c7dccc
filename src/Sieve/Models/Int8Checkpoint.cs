using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>What <see cref="Int8Checkpoint.Save"/> wrote.</summary>
/// <param name="Quantized">Weights stored as int8 (each with its scales).</param>
/// <param name="Kept">Tensors copied as they were (embeddings, norms, biases, heads).</param>
/// <param name="Bytes">Size of the <c>model.safetensors</c> written.</param>
/// <param name="Files">The other files copied (config, tokenizer, preprocessor), by name.</param>
internal sealed record QuantizedCheckpoint(int Quantized, int Kept, long Bytes, IReadOnlyList<string> Files);

/// <summary>
/// A model folder whose transformer-block weights are saved already quantized (<c>sieve quantize</c>), so a load
/// skips quantization and never holds their float32 values: each such weight <c>W</c> [N, K] is stored as I8 q
/// [N, K] beside <c>W_scale</c>, F32 [N], exactly what <see cref="Int8Matrix.QuantizeRow"/> gives, so the model is
/// bit-identical to one quantized at load. Packing and Σ_k q are recomputed at load (one pass over the bytes).
/// The folder is recognised by such pairs (<see cref="IsQuantized"/>); the header also says so in its metadata.
/// </summary>
internal static class Int8Checkpoint
{
    /// <summary>Suffix of a quantized weight's per-output-channel scales.</summary>
    public const string ScaleSuffix = "_scale";

    /// <summary>Metadata key (and value) naming the scheme in the safetensors header, for people and other tools.</summary>
    public const string MetadataKey = "sieve.quantization", MetadataValue = "int8 symmetric per output channel";

    /// <summary>Whether <paramref name="checkpoint"/> holds an int8 weight with its scales.</summary>
    public static bool IsQuantized(CheckpointFiles checkpoint) =>
        checkpoint.Tensors.Any(t => t.DType == DType.I8 && checkpoint.Contains(t.Name + ScaleSuffix));

    /// <summary>
    /// Writes <paramref name="modelDirectory"/>'s model into <paramref name="outDirectory"/> (new or empty) with every
    /// weight that <see cref="Precision.Int8"/> quantizes stored quantized, the other tensors and files copied as they are.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="outDirectory"/> exists and is not empty, or the model is quantized already or has no int8 layer.</exception>
    /// <exception cref="SieveFormatException">The model cannot be loaded.</exception>
    public static QuantizedCheckpoint Save(string modelDirectory, string outDirectory)
    {
        CheckpointConversion.CheckEmpty(outDirectory);
        using var checkpoint = CheckpointFiles.Open(modelDirectory);
        if (IsQuantized(checkpoint))
            throw new ArgumentException($"{checkpoint.Description} is quantized already (int8 weights with {ScaleSuffix} tensors); give the float model");
        // Which weights the int8 load quantizes: those it reads for an int8 layer while the model loads.
        var quantized = new HashSet<string>(StringComparer.Ordinal);
        using (CheckpointReader.TraceQuantized(quantized))
            ModelFolder.LoadAny(modelDirectory, Precision.Int8);
        if (quantized.Count == 0)
            throw new ArgumentException($"{modelDirectory}: no layer of this model runs in int8; there is nothing to quantize");

        var writer = new SafetensorsWriter().AddMetadata("format", "pt").AddMetadata(MetadataKey, MetadataValue);
        foreach (var info in checkpoint.Tensors)
        {
            if (!quantized.Contains(info.Name))
            {
                writer.AddBytes(info.Name, info.Shape.AsSpan(), info.DType, stream => checkpoint.CopyBytes(info.Name, stream));
                continue;
            }
            int n = info.Shape[0], k = info.Shape[1];
            // Quantized one row at a time as the file is written, so only one float row is held; the scales
            // are the same rows' second pass (quantizing is cheap next to the write).
            writer.AddBytes(info.Name, info.Shape.AsSpan(), DType.I8, stream => EachRow(checkpoint, info.Name, n, k, (q, _) => stream.Write(MemoryMarshal.AsBytes(q))));
            writer.AddBytes(info.Name + ScaleSuffix, [n], DType.F32, stream => EachRow(checkpoint, info.Name, n, k, (_, scale) =>
            {
                Span<byte> bytes = stackalloc byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(bytes, scale);
                stream.Write(bytes);
            }));
        }
        var companions = CheckpointConversion.Companions(modelDirectory);
        Directory.CreateDirectory(outDirectory);
        string output = Path.Combine(outDirectory, CheckpointFiles.SingleFile);
        writer.Save(output);
        foreach (string file in companions) File.Copy(file, Path.Combine(outDirectory, Path.GetFileName(file)));
        return new QuantizedCheckpoint(quantized.Count, checkpoint.Tensors.Count() - quantized.Count, new FileInfo(output).Length,
            [.. companions.Select(f => Path.GetFileName(f)!)]);
    }

    delegate void RowAction(ReadOnlySpan<sbyte> q, float scale);

    /// <summary>Reads the float weight <paramref name="name"/> [<paramref name="n"/>, <paramref name="k"/>] and quantizes it row by row.</summary>
    static void EachRow(CheckpointFiles checkpoint, string name, int n, int k, RowAction action)
    {
        using var weight = new Scratch(checked(n * k));
        checkpoint.ReadFloats(name, [n, k], weight.Span);
        var q = new sbyte[k];
        for (int j = 0; j < n; j++)
        {
            float scale = Int8Matrix.QuantizeRow(weight.Span.Slice(j * k, k), q);
            action(q, scale);
        }
    }
}
