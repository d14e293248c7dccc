namespace Sieve.Fitting;

/// <summary>
/// The two losses a cross token is fitted with, each on logits and with its gradient w.r.t. them, in
/// float64: cross-entropy against a class (classifiers) and the Jensen–Shannon divergence between two
/// softmax distributions (image and text cross tokens of a matched pair).
/// </summary>
internal static class SoftmaxLosses
{
    /// <summary>−log softmax(z)[label]; writes dL/dz = softmax(z) − onehot(label).</summary>
    public static double CrossEntropy(ReadOnlySpan<double> logits, int label, Span<double> gradient)
    {
        if ((uint)label >= (uint)logits.Length) throw new ArgumentOutOfRangeException(nameof(label), label, $"class outside 0…{logits.Length - 1}");
        double logSum = LogSoftmax(logits, gradient);
        double loss = logSum - logits[label];
        for (int i = 0; i < gradient.Length; i++) gradient[i] = Math.Exp(gradient[i]);
        gradient[label] -= 1;
        return loss;
    }

    /// <summary>
    /// JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m) with p = softmax(a), q = softmax(b), m = (p + q)/2 (natural log,
    /// so 0 ≤ JS ≤ ln 2). ∂JS/∂p_k = ½ ln(p_k/m_k), carried through the softmax: ∂JS/∂a_k = p_k (g_k − Σ_j p_j g_j).
    /// </summary>
    public static double JensenShannon(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> gradientA, Span<double> gradientB)
    {
        int n = a.Length;
        if (b.Length != n || gradientA.Length != n || gradientB.Length != n) throw new ArgumentException($"both logit vectors and gradients must have {n} values");
        var logP = new double[n];
        var logQ = new double[n];
        LogSoftmax(a, logP);
        LogSoftmax(b, logQ);
        double js = 0;
        var gP = new double[n];
        var gQ = new double[n];
        for (int k = 0; k < n; k++)
        {
            double p = Math.Exp(logP[k]), q = Math.Exp(logQ[k]);
            // log m computed from the logs, so tiny probabilities do not underflow to log 0.
            double logM = Math.Max(logP[k], logQ[k]) + Math.Log(0.5 * (1 + Math.Exp(-Math.Abs(logP[k] - logQ[k]))));
            js += 0.5 * (p * (logP[k] - logM) + q * (logQ[k] - logM));
            gP[k] = 0.5 * (logP[k] - logM);
            gQ[k] = 0.5 * (logQ[k] - logM);
        }
        ThroughSoftmax(logP, gP, gradientA);
        ThroughSoftmax(logQ, gQ, gradientB);
        return js;
    }

    /// <summary>Writes log softmax(z) into <paramref name="logProbabilities"/>; returns log Σ exp z.</summary>
    static double LogSoftmax(ReadOnlySpan<double> z, Span<double> logProbabilities)
    {
        double max = double.NegativeInfinity, sum = 0;
        foreach (double v in z) max = Math.Max(max, v);
        foreach (double v in z) sum += Math.Exp(v - max);
        double logSum = max + Math.Log(sum);
        for (int i = 0; i < z.Length; i++) logProbabilities[i] = z[i] - logSum;
        return logSum;
    }

    /// <summary>dL/dz_k = p_k (g_k − Σ_j p_j g_j) for p = softmax(z) given as logs.</summary>
    static void ThroughSoftmax(double[] logP, double[] g, Span<double> gradient)
    {
        double mean = 0;
        for (int k = 0; k < g.Length; k++) mean += Math.Exp(logP[k]) * g[k];
        for (int k = 0; k < g.Length; k++) gradient[k] = Math.Exp(logP[k]) * (g[k] - mean);
    }
}
