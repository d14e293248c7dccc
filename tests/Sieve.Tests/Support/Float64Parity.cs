namespace Sieve.Tests.Support;

/// <summary>The parity check every model test makes against its float64 reference.</summary>
public static class Float64Parity
{
    /// <summary>
    /// Each of <paramref name="got"/> within <paramref name="tolerance"/> × (1 + the largest |want|) of <paramref name="want"/>:
    /// float32 compute against float64, errors relative to the output's scale.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<float> got, ReadOnlySpan<double> want, double tolerance, string what = "output")
    {
        Assert.Equal(want.Length, got.Length);
        double scale = 0;
        foreach (double v in want) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= tolerance * (1 + scale), $"{what} {i}: {got[i]} vs float64 {want[i]} (scale {scale:g3})");
    }
}
