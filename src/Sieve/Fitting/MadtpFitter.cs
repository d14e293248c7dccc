using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;
using Sieve.Tensors;

namespace Sieve.Fitting;

/// <summary>
/// MADTP alignment tokens S [M, D_s] and per-layer maps A_l [D_s, D] for both towers of a CLIP as an
/// <see cref="IFitObjective"/> (ALGORITHMS.md §3a, §5). The loss mean_m (1 − cos(F_img[m], F_txt[m])) of a
/// matched pair depends on S and the maps only through the pooling of token states, so the states are
/// taken once, from the dense forward at MADTP's reduction point, and cached. D_s is the joint space's
/// width; each tower's maps start as its projection into that space (the same map for every layer), so
/// image and text features start out comparable, and S starts as the untrained seeded tokens.
/// Parameters: S, then the vision maps [L_v, D_s, D_v], then the text maps [L_t, D_s, D_t].
/// </summary>
internal sealed class MadtpFitter : IFitObjective
{
    readonly FitTarget _target;
    readonly int _count, _width, _seed;
    readonly (float[][] Vision, float[][] Text)[] _states;

    /// <param name="target">A frozen CLIP (a classifier has no text to align with and is refused).</param>
    /// <param name="samples">Image–caption pairs.</param>
    /// <param name="tokens">M, the number of alignment tokens.</param>
    /// <param name="seed">Seed of the starting tokens.</param>
    /// <param name="cached">Null, or called once per sample whose states are cached (from worker threads).</param>
    public MadtpFitter(FitTarget target, IReadOnlyList<FitSample> samples, int tokens = MagTokens.DefaultCount, int seed = 0, Action? cached = null)
    {
        var textTower = target.Text ?? throw new ArgumentException(
            $"fitting MADTP alignment tokens aligns image and text token states; '{target.Name}' is a classifier with no text tower (fit --method crossget for it)");
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        for (int i = 0; i < samples.Count; i++)
            if (samples[i].Text == null) throw new ArgumentException($"sample {i}: MADTP fits on image–caption pairs; this sample has a class label instead");
        _target = target;
        _count = tokens;
        _width = target.VisionHead.Outputs;
        _seed = seed;
        // Captions of one image share its pixels: run that image once.
        var images = new Dictionary<float[], float[][]>(ReferenceEqualityComparer.Instance);
        foreach (var s in samples) images.TryAdd(s.Pixels, []);
        var distinct = images.Keys.ToArray();
        _states = new (float[][], float[][])[samples.Count];
        var visionStates = new float[distinct.Length][][];
        Threading.ForEachSample(distinct.Length, i => visionStates[i] = Candidates(target.Vision.Info, probe => target.Vision.Forward(TowerInput.Image(distinct[i], target.Vision.ImageSize), probe)));
        for (int i = 0; i < distinct.Length; i++) images[distinct[i]] = visionStates[i];
        Threading.ForEachSample(samples.Count, i =>
        {
            _states[i] = (images[samples[i].Pixels], Candidates(textTower.Info, probe => textTower.Forward(TowerInput.Text(samples[i].Text!), probe)));
            cached?.Invoke();
        });
    }

    /// <inheritdoc />
    public string Method => MadtpSpec.Name;

    /// <inheritdoc />
    public int Samples => _states.Length;

    int TokenSize => _count * _width;

    int VisionMapSize => _target.Vision.Info.Layers * _width * _target.Vision.Info.Width;

    /// <inheritdoc />
    public double[] InitialParameters()
    {
        var text = _target.Text!.Info;
        var p = new double[TokenSize + VisionMapSize + text.Layers * _width * text.Width];
        var s = MagTokens.Random(_width, _count, _seed).Tokens;
        for (int i = 0; i < s.Length; i++) p[i] = s[i];
        Repeat(_target.VisionHead.Weight, _target.Vision.Info.Layers, p.AsSpan(TokenSize, VisionMapSize));
        Repeat(_target.TextHead!.Weight, text.Layers, p.AsSpan(TokenSize + VisionMapSize));
        return p;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, (int[] Shape, float[] Data)> Guidance(double[] parameters)
    {
        var vision = _target.Vision.Info;
        var text = _target.Text!.Info;
        return new Dictionary<string, (int[], float[])>
        {
            [GuidanceTensors.MagTokens] = ([_count, _width], SampleMean.ToFloat(parameters.AsSpan(0, TokenSize))),
            [GuidanceTensors.MagMaps(vision.Name)] = ([vision.Layers, _width, vision.Width], SampleMean.ToFloat(parameters.AsSpan(TokenSize, VisionMapSize))),
            [GuidanceTensors.MagMaps(text.Name)] = ([text.Layers, _width, text.Width], SampleMean.ToFloat(parameters.AsSpan(TokenSize + VisionMapSize))),
        };
    }

    /// <inheritdoc />
    public double Loss(IReadOnlyList<int> samples, double[] parameters, double[]? gradient)
    {
        var tokens = parameters.AsMemory(0, TokenSize);
        var visionMaps = parameters.AsMemory(TokenSize, VisionMapSize);
        var textMaps = parameters.AsMemory(TokenSize + VisionMapSize);
        return SampleMean.Of(samples.Count, parameters.Length, gradient, (i, g) =>
        {
            var (vision, text) = _states[samples[i]];
            var fv = MagAlignment.Features(vision, visionMaps.Span, tokens.Span, _count);
            var ft = MagAlignment.Features(text, textMaps.Span, tokens.Span, _count);
            var dv = new double[fv.Length];
            var dt = new double[ft.Length];
            double loss = MagAlignment.Loss(fv, ft, _width, dv, dt);
            var gTokens = g.AsSpan(0, TokenSize);
            MagAlignment.Backward(vision, visionMaps.Span, tokens.Span, _count, dv, gTokens, g.AsSpan(TokenSize, VisionMapSize));
            MagAlignment.Backward(text, textMaps.Span, tokens.Span, _count, dt, gTokens, g.AsSpan(TokenSize + VisionMapSize));
            return loss;
        });
    }

    /// <summary>The unprotected token states of every layer of a dense forward.</summary>
    static float[][] Candidates(TowerInfo tower, Action<ForwardProbe> forward)
    {
        var probe = new ForwardProbe(tower.Layers, recordCandidates: true);
        forward(probe);
        return probe.Candidates.Select(c => c ?? []).ToArray();
    }

    static void Repeat(ReadOnlySpan<double> map, int layers, Span<double> into)
    {
        for (int l = 0; l < layers; l++) map.CopyTo(into.Slice(l * map.Length, map.Length));
    }
}
