namespace Sieve.Tests.Fitting;

/// <summary>Central finite differences in float64, and the relative error the gradient checks compare with.</summary>
static class FiniteDifferences
{
    /// <summary>∂f/∂x_i ≈ (f(x + εe_i) − f(x − εe_i)) / 2ε for every i (x is restored).</summary>
    public static double[] Gradient(Func<double[], double> f, double[] x, double eps = 1e-5)
    {
        var g = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + eps;
            double up = f(x);
            x[i] = keep - eps;
            double down = f(x);
            x[i] = keep;
            g[i] = (up - down) / (2 * eps);
        }
        return g;
    }

    /// <summary>‖a − b‖ / max(‖a‖, ‖b‖): near 0 when the two gradients agree.</summary>
    public static double RelativeError(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double diff = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff += (a[i] - b[i]) * (a[i] - b[i]);
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return Math.Sqrt(diff) / Math.Max(Math.Sqrt(Math.Max(na, nb)), 1e-300);
    }

    public static double[] Normal(Random rng, int n, double std = 1)
    {
        var x = new double[n];
        for (int i = 0; i < n; i++) x[i] = std * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        return x;
    }
}
