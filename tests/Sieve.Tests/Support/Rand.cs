namespace Sieve.Tests.Support;

/// <summary>Seeded random tensors for tests.</summary>
public static class Rand
{
    public static float[] Uniform(Random rng, int n, float scale = 1f)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return x;
    }

    public static float[] Normal(Random rng, int n, float std = 1f, float mean = 0f)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = mean + std * (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }
}
