using System.Globalization;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>
/// Tuning's search space for a model's image tower (a fusion tower: its stream): per method, families of specs at rising
/// strength (<see cref="TuneFamily"/>). ToMe and CrossGET: constant r = k, linear ramps 0..2k and 2k..0 (steep) and
/// ⌈k/2⌉..k+⌊k/2⌋ both ways (gentle), and per-layer lists that put k + ⌈k/2⌉, k, k − ⌈k/2⌉ on the first, middle and last
/// third of the blocks (front-loaded) or the reverse (back-loaded) — every shape spending about k·L merges; a schedule
/// is kept only while no block asks for more merges than its tokens allow (⌊n/2⌋ of the n tokens it has then, so no spec
/// is silently capped into another), and a schedule equal block for block to an earlier one is dropped. MADTP: temperatures
/// 0.002·2^(i/2), i = 1 … 20, written with 3 significant digits (a <c>t=</c> spec every command accepts). PuMer (fusion
/// towers only): the released setting scaled, p = 0.05k, m_i = 0.15k, m_t = 0.1k for k = 1 … 6 (k = 2 is the released one).
/// The space depends on the tower alone.
/// </summary>
internal static class TuneSpace
{
    /// <summary>The shape name of constant schedules.</summary>
    public const string Constant = "constant";

    /// <summary>The methods tuned when none are named: ToMe, CrossGET, MADTP, and PuMer on fusion models.</summary>
    public static IReadOnlyList<string> DefaultMethods(IModel model) =>
        SearchedTower(model).Info.Modality == Modality.Multimodal ? ["tome", "crossget", "madtp", "pumer"] : ["tome", "crossget", "madtp"];

    /// <summary>The tower whose reducer is tuned: the image tower (CLIP's vision tower, a ViT, ViLT's fusion stream).</summary>
    public static ITower SearchedTower(IModel model) =>
        model is IImageEncoder encoder ? encoder.ImageTower
        : model.Towers.FirstOrDefault(t => t.PatchSize > 0) ?? throw new ArgumentException("the model has no tower with image tokens to tune a reducer for");

    /// <summary>The families of <paramref name="methods"/> for <paramref name="model"/>'s image tower, in search order (constant schedules first).</summary>
    /// <exception cref="ArgumentException">An unknown method, or PuMer on a model that is not a fusion model.</exception>
    public static IReadOnlyList<TuneFamily> For(IModel model, IReadOnlyList<string> methods)
    {
        var tower = SearchedTower(model);
        int side = tower.ImageSize / tower.PatchSize, layers = tower.Info.Layers;
        // A model with a separate text tower keeps it dense: the tuned spec names the vision tower alone.
        bool separateText = model.Towers.Any(t => t.Info.Modality == Modality.Text);
        ModelReduction Wrap(ReducerSpec spec) => separateText ? ModelReduction.PerTower(spec, ReducerSpec.None) : ModelReduction.ForAll(spec);
        if (methods.Count == 0) throw new ArgumentException("no methods to tune");
        var families = new List<TuneFamily>();
        foreach (string method in methods.Distinct())
        {
            switch (method)
            {
                case "tome" or "crossget":
                    var seen = new HashSet<string>();
                    foreach (var (shape, schedule) in Shapes(layers))
                    {
                        var levels = new List<ModelReduction>();
                        for (int k = 1; ; k++)
                        {
                            var s = schedule(k);
                            var perBlock = Uncapped(s, layers, side * side);
                            if (perBlock == null) break;
                            if (!seen.Add(string.Join('/', perBlock))) continue;
                            levels.Add(Wrap(method == "tome" ? new ToMeSpec(s) : new CrossGetSpec(s)));
                        }
                        if (levels.Count > 0) families.Add(new TuneFamily(method, shape, levels, FixedTokens: true));
                    }
                    break;
                case "madtp":
                    families.Add(new TuneFamily(method, "temperature", Enumerable.Range(1, 20)
                        .Select(i => Wrap(new MadtpSpec(temperature: double.Parse((0.002 * Math.Pow(2, i / 2.0)).ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture))))
                        .ToArray(), FixedTokens: false));
                    break;
                case "pumer":
                    if (tower.Info.Modality != Modality.Multimodal)
                        throw new ArgumentException("pumer prunes image tokens by the text's attention and applies to fusion models (ViLT) only");
                    int[] at = layers >= 9 ? [.. PumerOptions.Released.Layers] : [.. new[] { layers / 4, layers / 2, 3 * layers / 4 }.Distinct()];
                    families.Add(new TuneFamily(method, "scaled released", Enumerable.Range(1, 6)
                        .Select(k => Wrap(new PumerSpec(new PumerOptions(at, 0.05 * k, 0.15 * k, 0.1 * k)))).ToArray(), FixedTokens: true));
                    break;
                default:
                    throw new ArgumentException($"unknown method '{method}' (expected tome, crossget, madtp or pumer)");
            }
        }
        return families;
    }

    /// <summary>The merge schedules at strength k, by shape; constant first.</summary>
    static IEnumerable<(string Shape, Func<int, MergeSchedule> Schedule)> Shapes(int layers)
    {
        yield return (Constant, k => MergeSchedule.Constant(k));
        yield return ("ramp up", k => MergeSchedule.Ramp(0, 2 * k));
        yield return ("ramp down", k => MergeSchedule.Ramp(2 * k, 0));
        yield return ("gentle ramp up", k => MergeSchedule.Ramp(k - k / 2, k + k / 2));
        yield return ("gentle ramp down", k => MergeSchedule.Ramp(k + k / 2, k - k / 2));
        yield return ("front-loaded", k => MergeSchedule.PerLayer(Thirds(layers, k + (k + 1) / 2, k, k - (k + 1) / 2)));
        yield return ("back-loaded", k => MergeSchedule.PerLayer(Thirds(layers, k - (k + 1) / 2, k, k + (k + 1) / 2)));
    }

    static int[] Thirds(int layers, int first, int middle, int last) =>
        Enumerable.Range(0, layers).Select(l => (3 * l / layers) switch { 0 => first, 1 => middle, _ => last }).ToArray();

    /// <summary>
    /// The merges per block of <paramref name="schedule"/> on a tower that starts with <paramref name="candidates"/> mergeable
    /// tokens, or null when some block would be capped (asks for more than ⌊n/2⌋ of its n tokens) or nothing is merged.
    /// </summary>
    internal static int[]? Uncapped(MergeSchedule schedule, int layers, int candidates)
    {
        var perBlock = new int[layers];
        int n = candidates;
        for (int layer = 0; layer < layers; layer++)
        {
            int r = schedule.For(layer, layers, n);
            if (r != schedule.For(layer, layers, int.MaxValue)) return null;
            perBlock[layer] = r;
            n -= r;
        }
        return perBlock.Sum() > 0 ? perBlock : null;
    }
}
