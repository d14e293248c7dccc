using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Weights;

namespace Sieve.Models;

/// <summary>
/// The learned parameters CrossGET's and MADTP's released checkpoints carry, taken into a guidance file where their
/// shapes fit Sieve's (<see cref="GuidanceTensors"/>), each with the reason where they do not:
/// <list type="bullet">
/// <item>CrossGET's per-layer cross-token offsets <c>…cross_image</c> / <c>…cross_text</c> [1, layers, width] →
/// <c>crossget.{vision,text}.offsets</c> [layers, width] (both add the offset to the detached cross token before every
/// layer, as ALGORITHMS.md §2b does);</item>
/// <item>MADTP's alignment tokens <c>space_dict</c> [M, D_s] → <c>madtp.tokens</c>; its one query map per tower
/// <c>…query_model.q_map.0</c> [D_s, width], repeated for every layer as <c>madtp.{tower}.maps</c> where it has no
/// bias (Sieve's maps have none).</item>
/// </list>
/// </summary>
internal static class ReleasedGuidance
{
    const string QueryMap = "query_model.q_map.0.";
    const string MapBias = "MADTP's query map has a non-zero bias, which Sieve's maps (no bias) cannot carry";

    /// <summary>Whether <paramref name="name"/> is one of the methods' parameters above (also the ones that will not fit).</summary>
    public static bool IsMethodParameter(string name) =>
        name == "space_dict" || name.EndsWith(".cross_image", StringComparison.Ordinal) || name.EndsWith(".cross_text", StringComparison.Ordinal)
        || name.Contains(QueryMap, StringComparison.Ordinal);

    /// <summary>
    /// The guidance tensors of <paramref name="parameters"/> (names the <paramref name="checkpoint"/> carries) for a model
    /// with towers <paramref name="vision"/> and <paramref name="text"/>, and the reason for each parameter left out.
    /// </summary>
    public static (Dictionary<string, (int[] Shape, float[] Data)> Guidance, Dictionary<string, string> LeftOut) Extract(
        CheckpointFiles checkpoint, IEnumerable<string> parameters, TowerInfo vision, TowerInfo text)
    {
        var guidance = new Dictionary<string, (int[], float[])>();
        var leftOut = new Dictionary<string, string>();
        var names = parameters.ToList();
        int? alignmentWidth = names.Contains("space_dict") && checkpoint.Get("space_dict").Shape.Length == 2 ? checkpoint.Get("space_dict").Shape[1] : null;
        foreach (string name in names)
        {
            var shape = checkpoint.Get(name).Shape.ToArray();
            var tower = name.StartsWith("visual", StringComparison.Ordinal) || name.EndsWith(".cross_image", StringComparison.Ordinal) ? vision : text;
            string? problem;
            if (name == "space_dict")
                problem = shape.Length == 2 ? Take(GuidanceTensors.MagTokens, shape, checkpoint.ReadFloats(name)) : $"shape {Dims(shape)} is not [M, D_s]";
            else if (name.EndsWith(".cross_image", StringComparison.Ordinal) || name.EndsWith(".cross_text", StringComparison.Ordinal))
                problem = shape.SkipWhile((d, i) => d == 1 && i < shape.Length - 2).SequenceEqual([tower.Layers, tower.Width])
                    ? Take(GuidanceTensors.CrossTokenOffsets(tower.Name), [tower.Layers, tower.Width], checkpoint.ReadFloats(name))
                    : $"shape {Dims(shape)} does not fit the {tower.Name} tower's [layers {tower.Layers}, width {tower.Width}]";
            else if (name.EndsWith(QueryMap + "bias", StringComparison.Ordinal))
                problem = checkpoint.ReadFloats(name).All(v => v == 0) ? null : MapBias;
            else if (name.EndsWith(QueryMap + "weight", StringComparison.Ordinal))
                problem = MapProblem(checkpoint, name, shape, tower, alignmentWidth)
                    ?? Take(GuidanceTensors.MagMaps(tower.Name), [tower.Layers, shape[0], shape[1]], Repeat(checkpoint.ReadFloats(name), tower.Layers));
            else problem = "not a parameter Sieve's guidance has";
            if (problem != null) leftOut[name] = problem;
        }
        return (guidance, leftOut);

        string? Take(string key, int[] shape, float[] data)
        {
            guidance[key] = (shape, data);
            return null;
        }
    }

    static string? MapProblem(CheckpointFiles checkpoint, string name, int[] shape, TowerInfo tower, int? alignmentWidth)
    {
        if (shape.Length != 2 || shape[1] != tower.Width || shape[0] != alignmentWidth)
            return $"shape {Dims(shape)} is not [D_s {alignmentWidth?.ToString() ?? "?"}, {tower.Name} width {tower.Width}]";
        string bias = name[..^"weight".Length] + "bias";
        return checkpoint.Contains(bias) && checkpoint.ReadFloats(bias).Any(v => v != 0) ? MapBias : null;
    }

    static float[] Repeat(float[] map, int times)
    {
        var all = new float[map.Length * times];
        for (int i = 0; i < times; i++) map.CopyTo(all, i * map.Length);
        return all;
    }

    static string Dims(int[] shape) => $"[{string.Join(", ", shape)}]";
}
