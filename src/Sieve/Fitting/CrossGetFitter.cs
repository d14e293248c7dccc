using Sieve.Models;
using Sieve.Nn;
using System.Numerics.Tensors;
using Sieve.Reduction;

namespace Sieve.Fitting;

/// <summary>
/// CrossGET cross-token offsets p_l as an <see cref="IFitObjective"/> (ALGORITHMS.md §2b, §5). Each loss
/// call runs the forward with the current offsets (a cross token's state depends on every earlier
/// offset) and reads h_l = stopgrad(state) + p_l with a <see cref="ForwardProbe"/>; since p_l enters the
/// loss only through h_l, dL/dp_l = dL/dh_l, carried back by hand through the norm and projection.
/// CLIP: Jensen–Shannon divergence between softmax(LN(h_l)·W_proj) of the image and the text cross token
/// of a matched pair, averaged over layers (towers of different depth are paired by relative depth).
/// Classifier: cross-entropy of head(LN(h_l)) against the true class, averaged over layers.
/// Parameters: the vision offsets [L_v, D_v], then (CLIP) the text offsets [L_t, D_t]; they start at 0.
/// </summary>
internal sealed class CrossGetFitter : IFitObjective
{
    readonly FitTarget _target;
    readonly ModelReduction _spec;
    readonly IReadOnlyList<FitSample> _samples;
    readonly TowerInfo _vision;
    readonly TowerInfo? _text;

    /// <param name="target">The frozen model.</param>
    /// <param name="spec">The reduction the offsets are fitted under: CrossGET on the vision tower (and the text tower of a CLIP).</param>
    /// <param name="samples">Labelled images (classifier) or image–caption pairs (CLIP).</param>
    public CrossGetFitter(FitTarget target, ModelReduction spec, IReadOnlyList<FitSample> samples)
    {
        _target = target;
        _spec = spec;
        _samples = samples;
        _vision = target.Vision.Info;
        _text = target.Text?.Info;
        foreach (var tower in new[] { _vision, _text }.OfType<TowerInfo>())
            if (spec.For(tower) is not CrossGetSpec)
                throw new ArgumentException($"fitting CrossGET cross tokens needs a crossget reducer on the {tower.Name} tower; '{spec}' gives it {spec.For(tower).Method}");
        for (int i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            if (target.IsClassifier && (s.Label < 0 || s.Label >= target.Classes))
                throw new ArgumentException($"sample {i}: a classifier fits against class labels in 0…{target.Classes - 1}, got {(s.Text != null ? "a caption" : s.Label)}");
            if (!target.IsClassifier && s.Text == null)
                throw new ArgumentException($"sample {i}: CLIP fits on image–caption pairs; this sample has a class label instead");
        }
    }

    /// <inheritdoc />
    public string Method => CrossGetSpec.Name;

    /// <inheritdoc />
    public int Samples => _samples.Count;

    int VisionSize => _vision.Layers * _vision.Width;

    /// <inheritdoc />
    public double[] InitialParameters() => new double[VisionSize + (_text is { } t ? t.Layers * t.Width : 0)];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, (int[] Shape, float[] Data)> Guidance(double[] parameters)
    {
        var tensors = new Dictionary<string, (int[], float[])>
        {
            [GuidanceTensors.CrossTokenOffsets(_vision.Name)] = ([_vision.Layers, _vision.Width], SampleMean.ToFloat(parameters.AsSpan(0, VisionSize))),
        };
        if (_text is { } t) tensors[GuidanceTensors.CrossTokenOffsets(t.Name)] = ([t.Layers, t.Width], SampleMean.ToFloat(parameters.AsSpan(VisionSize)));
        return tensors;
    }

    /// <inheritdoc />
    public double Loss(IReadOnlyList<int> samples, double[] parameters, double[]? gradient)
    {
        var guidance = ReductionGuidance.FromTensors(Guidance(parameters));
        var vision = _spec.Bind(_vision, guidance)!;
        var text = _text is { } t ? _spec.Bind(t, guidance) : null;
        return SampleMean.Of(samples.Count, parameters.Length, gradient, (i, g) =>
        {
            var sample = _samples[samples[i]];
            var visionStates = new ForwardProbe(_vision.Layers);
            _target.Vision.Forward(TowerInput.Image(sample.Pixels, _target.Vision.ImageSize), BlockHook.Combine(vision, visionStates));
            if (_target.IsClassifier) return ClassLoss(States(visionStates, _vision), sample.Label, g);
            var textStates = new ForwardProbe(_text!.Layers);
            _target.Text!.Forward(TowerInput.Text(sample.Text!), BlockHook.Combine(text, textStates));
            return PairLoss(States(visionStates, _vision), States(textStates, _text), g);
        });
    }

    /// <summary>(1/L) Σ_l CE(head(LN(h_l)), label); writes dL/dp into <paramref name="gradient"/>.</summary>
    double ClassLoss(double[][] states, int label, double[] gradient)
    {
        int layers = states.Length, d = _vision.Width;
        var head = _target.VisionHead;
        var dz = new double[head.Outputs];
        double loss = 0;
        for (int l = 0; l < layers; l++)
        {
            loss += SoftmaxLosses.CrossEntropy(head.Forward(states[l]), label, dz) / layers;
            TensorPrimitives.Divide(dz, layers, dz);
            head.Backward(states[l], dz, gradient.AsSpan(l * d, d));
        }
        return loss;
    }

    /// <summary>Mean over K = max(L_v, L_t) depth-matched layer pairs of JS(image, text); adds dL/dp for both towers.</summary>
    double PairLoss(double[][] vision, double[][] text, double[] gradient)
    {
        int lv = vision.Length, lt = text.Length, k = Math.Max(lv, lt), dv = _vision.Width, dt = _text!.Width;
        var headV = _target.VisionHead;
        var headT = _target.TextHead!;
        var dzv = new double[headV.Outputs];
        var dzt = new double[headT.Outputs];
        var dh = new double[Math.Max(dv, dt)];
        double loss = 0;
        for (int j = 0; j < k; j++)
        {
            int a = j * lv / k, b = j * lt / k;
            loss += SoftmaxLosses.JensenShannon(headV.Forward(vision[a]), headT.Forward(text[b]), dzv, dzt) / k;
            TensorPrimitives.Divide(dzv, k, dzv);
            TensorPrimitives.Divide(dzt, k, dzt);
            // Accumulate: with towers of different depth one layer may take part in several pairs.
            headV.Backward(vision[a], dzv, dh.AsSpan(0, dv));
            TensorPrimitives.Add(gradient.AsSpan(a * dv, dv), dh.AsSpan(0, dv), gradient.AsSpan(a * dv, dv));
            headT.Backward(text[b], dzt, dh.AsSpan(0, dt));
            var textPart = gradient.AsSpan(VisionSize + b * dt, dt);
            TensorPrimitives.Add(textPart, dh.AsSpan(0, dt), textPart);
        }
        return loss;
    }

    static double[][] States(ForwardProbe probe, TowerInfo tower) =>
        probe.CrossStates.Select((s, l) => s == null
            ? throw new InvalidOperationException($"the {tower.Name} tower had no cross token before block {l}")
            : Array.ConvertAll(s, v => (double)v)).ToArray();
}
