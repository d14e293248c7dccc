namespace Sieve.Data;

/// <summary>
/// One axis of a Pillow resample: output i is the weighted sum of <see cref="Count"/>[i] inputs from
/// <see cref="Start"/>[i] on, with fixed-point weights <see cref="Of"/>(i). Mirrors Pillow's
/// <c>precompute_coeffs</c> followed by <c>normalize_coeffs_8bpc</c>, operation for operation, since the
/// integer weights must come out identical.
/// </summary>
internal sealed class FilterWeights
{
    /// <summary>Fraction bits of the weights: 8 bits of pixel and 2 of head-room for overshoot fit in an int.</summary>
    public const int PrecisionBits = 32 - 8 - 2;

    /// <summary>The initial value of an accumulator, so that the final shift rounds to nearest.</summary>
    public const int Half = 1 << (PrecisionBits - 1);

    const double BicubicSupport = 2.0;

    readonly int[] _weights;
    readonly int _stride;

    FilterWeights(int[] start, int[] count, int[] weights, int stride)
    {
        Start = start;
        Count = count;
        _weights = weights;
        _stride = stride;
    }

    /// <summary>First input of each output.</summary>
    public int[] Start { get; }

    /// <summary>Number of inputs of each output.</summary>
    public int[] Count { get; }

    /// <summary>The weights of output <paramref name="i"/>, in units of 2^-<see cref="PrecisionBits"/>.</summary>
    public ReadOnlySpan<int> Of(int i) => _weights.AsSpan(i * _stride, Count[i]);

    /// <summary>An accumulated sum, back to a pixel value: Pillow's <c>clip8</c>.</summary>
    public static byte ToByte(int sum) => (byte)Math.Clamp(sum >> PrecisionBits, 0, 255);

    /// <summary>
    /// Bicubic weights (a = −0.5) for resampling <paramref name="inSize"/> pixels to <paramref name="outSize"/>,
    /// for the <paramref name="count"/> outputs from <paramref name="first"/> on (entry i is output first + i).
    /// Each output's weights depend only on its own position, so a part is exactly that part of the whole.
    /// </summary>
    public static FilterWeights Bicubic(int inSize, int outSize, int first, int count)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = BicubicSupport * filterScale;
        double inverseFilterScale = 1.0 / filterScale; // Pillow multiplies by the reciprocal, not divides
        int stride = (int)Math.Ceiling(support) * 2 + 1;

        var start = new int[count];
        var taps = new int[count];
        var weights = new int[count * stride];
        var k = new double[stride];
        for (int i = 0; i < count; i++)
        {
            double center = (first + i + 0.5) * scale;
            int min = Math.Max((int)(center - support + 0.5), 0);
            int n = Math.Min((int)(center + support + 0.5), inSize) - min;
            double sum = 0.0;
            for (int x = 0; x < n; x++)
            {
                k[x] = Cubic((x + min - center + 0.5) * inverseFilterScale);
                sum += k[x];
            }
            for (int x = 0; x < n; x++)
            {
                double w = k[x] / sum * (1 << PrecisionBits);
                weights[i * stride + x] = (int)(w < 0 ? w - 0.5 : w + 0.5);
            }
            start[i] = min;
            taps[i] = n;
        }
        return new FilterWeights(start, taps, weights, stride);
    }

    /// <summary>Pillow's <c>bicubic_filter</c>: cubic convolution with a = −0.5, support 2.</summary>
    static double Cubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }
}
