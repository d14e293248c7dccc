using System.Numerics.Tensors;

namespace Sieve.Fitting;

/// <summary>
/// MADTP's alignment features and loss (ALGORITHMS.md §3a) with hand-derived gradients, in float64. Per
/// layer l the tower's candidate tokens X_l [n, D] are mapped to the alignment width, X̃ = X·A_lᵀ, scored
/// against the alignment tokens, Q = X̃·Sᵀ [n, M], and pooled, F_l = softmax_over_tokens(Q/√D_s)ᵀ·X̃
/// [M, D_s]; a tower's feature is F = Σ_l F_l. The loss of a pair is mean_m (1 − cos(F_img[m], F_txt[m])).
/// </summary>
internal static class MagAlignment
{
    /// <summary>F = Σ_l F_l for one tower.</summary>
    /// <param name="states">X_l per layer, [n_l, D] row-major (layers with no tokens add nothing).</param>
    /// <param name="maps">A_l per layer, [L, D_s, D].</param>
    /// <param name="tokens">S, [M, D_s].</param>
    /// <param name="count">M.</param>
    public static double[] Features(IReadOnlyList<float[]> states, ReadOnlySpan<double> maps, ReadOnlySpan<double> tokens, int count)
    {
        int ds = tokens.Length / count, d = Width(states, maps, ds);
        var f = new double[count * ds];
        for (int l = 0; l < states.Count; l++)
        {
            var (mapped, weights, n) = Layer(states[l], maps.Slice(l * ds * d, ds * d), tokens, count, d);
            for (int m = 0; m < count; m++)
                for (int t = 0; t < n; t++)
                    TensorPrimitives.MultiplyAdd(mapped.AsSpan(t * ds, ds), weights[m * n + t], f.AsSpan(m * ds, ds), f.AsSpan(m * ds, ds));
        }
        return f;
    }

    /// <summary>Carries dL/dF back to S and the maps, adding into <paramref name="tokenGradient"/> and <paramref name="mapGradient"/>.</summary>
    public static void Backward(IReadOnlyList<float[]> states, ReadOnlySpan<double> maps, ReadOnlySpan<double> tokens, int count,
        ReadOnlySpan<double> featureGradient, Span<double> tokenGradient, Span<double> mapGradient)
    {
        int ds = tokens.Length / count, d = Width(states, maps, ds);
        double scale = 1 / Math.Sqrt(ds);
        for (int l = 0; l < states.Count; l++)
        {
            var (mapped, weights, n) = Layer(states[l], maps.Slice(l * ds * d, ds * d), tokens, count, d);
            if (n == 0) continue;
            var dMapped = new double[n * ds];
            var dWeight = new double[n];
            for (int m = 0; m < count; m++)
            {
                var dF = featureGradient.Slice(m * ds, ds);
                var w = weights.AsSpan(m * n, n);
                // F[m] = Σ_t w[t]·X̃[t]: dX̃[t] += w[t]·dF[m], dw[t] = dF[m]·X̃[t].
                for (int t = 0; t < n; t++)
                {
                    TensorPrimitives.MultiplyAdd(dF, w[t], dMapped.AsSpan(t * ds, ds), dMapped.AsSpan(t * ds, ds));
                    dWeight[t] = TensorPrimitives.Dot(dF, mapped.AsSpan(t * ds, ds));
                }
                // Softmax over tokens, then Q = X̃·Sᵀ scaled by 1/√D_s.
                double mean = TensorPrimitives.Dot<double>(w, dWeight);
                for (int t = 0; t < n; t++)
                {
                    double dq = w[t] * (dWeight[t] - mean) * scale;
                    TensorPrimitives.MultiplyAdd(mapped.AsSpan(t * ds, ds), dq, tokenGradient.Slice(m * ds, ds), tokenGradient.Slice(m * ds, ds));
                    TensorPrimitives.MultiplyAdd(tokens.Slice(m * ds, ds), dq, dMapped.AsSpan(t * ds, ds), dMapped.AsSpan(t * ds, ds));
                }
            }
            // X̃ = X·Aᵀ: dA[s] += Σ_t dX̃[t, s]·X[t].
            var x = states[l];
            var row = new double[d];
            var dMap = mapGradient.Slice(l * ds * d, ds * d);
            for (int t = 0; t < n; t++)
            {
                for (int i = 0; i < d; i++) row[i] = x[t * d + i];
                for (int s = 0; s < ds; s++)
                    if (dMapped[t * ds + s] != 0) TensorPrimitives.MultiplyAdd(row, dMapped[t * ds + s], dMap.Slice(s * d, d), dMap.Slice(s * d, d));
            }
        }
    }

    /// <summary>mean_m (1 − cos(a[m], b[m])) over rows of width <paramref name="width"/>; writes both gradients.</summary>
    public static double Loss(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int width, Span<double> gradientA, Span<double> gradientB)
    {
        int count = a.Length / width;
        double loss = 0;
        for (int m = 0; m < count; m++)
        {
            var x = a.Slice(m * width, width);
            var y = b.Slice(m * width, width);
            // A zero row (no tokens) has no direction: guard the norms so the loss stays finite.
            double nx = Math.Max(TensorPrimitives.Norm(x), 1e-12), ny = Math.Max(TensorPrimitives.Norm(y), 1e-12);
            double cos = TensorPrimitives.Dot(x, y) / (nx * ny);
            loss += (1 - cos) / count;
            for (int i = 0; i < width; i++)
            {
                gradientA[m * width + i] = -(y[i] / (nx * ny) - cos * x[i] / (nx * nx)) / count;
                gradientB[m * width + i] = -(x[i] / (nx * ny) - cos * y[i] / (ny * ny)) / count;
            }
        }
        return loss;
    }

    /// <summary>X̃ [n, D_s] and the pooling weights softmax_t(Q[t, m]/√D_s) stored [M, n].</summary>
    static (double[] Mapped, double[] Weights, int Tokens) Layer(float[] x, ReadOnlySpan<double> map, ReadOnlySpan<double> tokens, int count, int d)
    {
        int ds = tokens.Length / count, n = x.Length / d;
        var mapped = new double[n * ds];
        var row = new double[d];
        for (int t = 0; t < n; t++)
        {
            for (int i = 0; i < d; i++) row[i] = x[t * d + i];
            for (int s = 0; s < ds; s++) mapped[t * ds + s] = TensorPrimitives.Dot(map.Slice(s * d, d), row);
        }
        var weights = new double[count * n];
        if (n == 0) return (mapped, weights, 0);
        double scale = 1 / Math.Sqrt(ds);
        for (int m = 0; m < count; m++)
        {
            var w = weights.AsSpan(m * n, n);
            for (int t = 0; t < n; t++) w[t] = TensorPrimitives.Dot(mapped.AsSpan(t * ds, ds), tokens.Slice(m * ds, ds)) * scale;
            double max = TensorPrimitives.Max<double>(w);
            TensorPrimitives.Subtract(w, max, w);
            TensorPrimitives.Exp(w, w);
            TensorPrimitives.Divide(w, TensorPrimitives.Sum<double>(w), w);
        }
        return (mapped, weights, n);
    }

    static int Width(IReadOnlyList<float[]> states, ReadOnlySpan<double> maps, int ds)
    {
        if (states.Count == 0 || maps.Length % (states.Count * ds) != 0)
            throw new ArgumentException($"{maps.Length} map values do not make {states.Count} layers of [{ds}, D]");
        int d = maps.Length / (states.Count * ds);
        foreach (var x in states)
            if (x.Length % d != 0) throw new ArgumentException($"token states of {x.Length} values are not rows of width {d}");
        return d;
    }
}
