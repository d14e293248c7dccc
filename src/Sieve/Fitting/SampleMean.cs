using System.Numerics.Tensors;
using Sieve.Tensors;

namespace Sieve.Fitting;

/// <summary>How both fitters turn per-sample losses and gradients into batch means, independent of the thread count.</summary>
internal static class SampleMean
{
    /// <summary>
    /// Runs <paramref name="loss"/>(i, gradient_i) for every sample (whole samples spread over the cores),
    /// returns the mean loss and writes the mean gradient into <paramref name="gradient"/> when it is not null.
    /// Sums run in sample order, so the result is the same for any thread count.
    /// </summary>
    public static double Of(int count, int parameters, double[]? gradient, Func<int, double[], double> loss)
    {
        var losses = new double[count];
        var gradients = new double[count][];
        Threading.ForEachSample(count, i =>
        {
            gradients[i] = new double[parameters];
            losses[i] = loss(i, gradients[i]);
        });
        if (gradient != null)
        {
            Array.Clear(gradient);
            foreach (var g in gradients) TensorPrimitives.Add(gradient, g, gradient);
            TensorPrimitives.Divide(gradient, count, gradient);
        }
        return losses.Sum() / count;
    }

    /// <summary>Parameters as the float32 tensors of a guidance file.</summary>
    public static float[] ToFloat(ReadOnlySpan<double> x)
    {
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = (float)x[i];
        return y;
    }
}
