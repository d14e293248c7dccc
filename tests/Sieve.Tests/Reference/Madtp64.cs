namespace Sieve.Tests.Reference;

/// <summary>
/// MADTP (§3b–c) in float64, without per-layer maps: I = (A + G + C) / 3 over the unprotected tokens,
/// θ = min_m Σ_n softmax_n(Q[n, m]/T)·I_n, keep I_n > θ, fuse the rest (weights I) into one token after the
/// survivors. On a fusion stream (the library's documented extension; ALGORITHMS.md does not cover fusion
/// for MADTP) only image tokens are candidates and the text's attention X_n = Σ_{text i, h} P[h, i, n],
/// normalised, joins as a fourth term: I = (A + G + C + X) / 4.
/// </summary>
public sealed class Madtp64(double temperature, double[] s, int m) : IReducer64
{
    public void Reduce(int layer, Tokens64 t, Capture64 c, Margins margins)
    {
        int n = t.Count, d = t.Width, heads = c.H, dh = d / heads;
        bool fusion = t.Image.Distinct().Count() == 2;
        var cand = Enumerable.Range(0, n).Where(i => !t.Protected[i] && (!fusion || t.Image[i])).ToArray();
        if (cand.Length < 3) return;
        double P(int h, int i, int j) => c.P[(h * n + i) * n + j];

        var a = cand.Select(j => cand.Sum(i => Enumerable.Range(0, heads).Max(h => P(h, i, j)))).ToArray();
        Scale(a, a.Sum());
        var q = cand.Select(j => Enumerable.Range(0, m).Select(k => ReducedEncoder64.Dot(t.X[j], s[(k * d)..((k + 1) * d)])).ToArray()).ToArray();
        var g = q.Select(row => row.Max()).ToArray();
        Scale(g, g.Sum() + 1e-8);
        int guide = t.Guide >= 0 ? t.Guide : 0;
        var cls = cand.Select(j =>
        {
            var norms = Enumerable.Range(0, heads).Select(h => Math.Sqrt(Enumerable.Range(0, dh).Sum(e => c.O[j * d + h * dh + e] * c.O[j * d + h * dh + e]))).ToArray();
            return Enumerable.Range(0, heads).Sum(h => P(h, guide, j) * norms[h] / norms.Sum());
        }).ToArray();
        var importance = new double[cand.Length];
        if (fusion)
        {
            var text = cand.Select(j => Enumerable.Range(0, n).Where(i => !t.Image[i]).Sum(i => Enumerable.Range(0, heads).Sum(h => P(h, i, j)))).ToArray();
            Scale(text, text.Sum() + 1e-8);
            for (int e = 0; e < cand.Length; e++) importance[e] = (a[e] + g[e] + cls[e] + text[e]) / 4;
        }
        else
            for (int e = 0; e < cand.Length; e++) importance[e] = (a[e] + g[e] + cls[e]) / 3;

        double theta = Enumerable.Range(0, m).Min(k =>
        {
            double max = q.Max(row => row[k] / temperature), sum = q.Sum(row => Math.Exp(row[k] / temperature - max));
            return Enumerable.Range(0, cand.Length).Sum(e => Math.Exp(q[e][k] / temperature - max) / sum * importance[e]);
        });
        foreach (double v in importance) margins.Gap(v, theta);
        int keep = importance.Count(v => v > theta);
        if (keep < 1 || cand.Length - keep <= 1) return;
        var target = Enumerable.Range(0, n).ToArray();
        var weight = new double[n];
        for (int e = 0; e < cand.Length; e++)
            if (!(importance[e] > theta))
            {
                target[cand[e]] = Tokens64.Fused;
                weight[cand[e]] = importance[e];
            }
        t.Merge(target, null, weight);
    }

    static void Scale(double[] v, double total)
    {
        for (int i = 0; i < v.Length; i++) v[i] /= total;
    }
}
