using Sieve.Models.Generation;

namespace Sieve.Tests.Models;

/// <summary>
/// <see cref="TokenSampler"/>'s warpers in transformers' order — temperature, top-k, top-p — on scripted distributions,
/// checked by drawing many tokens: which tokens can come out, and how often (5 standard deviations of slack).
/// </summary>
public class TokenSamplerTests
{
    const int Draws = 10_000;

    static double[] Scores(params double[] probabilities) => probabilities.Select(p => Math.Log(p)).ToArray();

    /// <summary>The share of <see cref="Draws"/> draws each token gets.</summary>
    static double[] Shares(GenerationOptions options, double[] scores)
    {
        var sampler = new TokenSampler(options);
        var counts = new double[scores.Length];
        for (int i = 0; i < Draws; i++) counts[sampler.Next(scores)]++;
        return counts.Select(c => c / Draws).ToArray();
    }

    static void AssertShares(double[] want, double[] got)
    {
        for (int v = 0; v < want.Length; v++)
        {
            double slack = want[v] is 0 or 1 ? 0 : 5 * Math.Sqrt(want[v] * (1 - want[v]) / Draws);
            Assert.True(Math.Abs(got[v] - want[v]) <= slack, $"token {v}: drawn {got[v]:F4} of the time, expected {want[v]:F4} ± {slack:F4}");
        }
    }

    [Fact]
    public void TopKKeepsTheKMostLikelyTokensAndAnyTiedWithTheKth()
    {
        // k = 2 over 0.35, 0.25, 0.25, 0.15: the third ties with the second and stays; the fourth never comes out.
        var got = Shares(new GenerationOptions(Temperature: 1, TopK: 2, Seed: 1), Scores(0.35, 0.25, 0.25, 0.15));
        AssertShares([0.35 / 0.85, 0.25 / 0.85, 0.25 / 0.85, 0], got);
    }

    [Fact]
    public void TopPActsOnTheTopKDistributionRenormalised()
    {
        double[] scores = Scores(0.4, 0.3, 0.2, 0.1);
        // Top-p 0.5 alone keeps 0.4 and 0.3 (0.4 before the second is under 0.5) …
        AssertShares([0.4 / 0.7, 0.3 / 0.7, 0, 0], Shares(new GenerationOptions(Temperature: 1, TopP: 0.5f, Seed: 2), scores));
        // … but after top-k 2 the first weighs 0.4 / 0.7 ≥ 0.5, so it alone is left.
        AssertShares([1, 0, 0, 0], Shares(new GenerationOptions(Temperature: 1, TopP: 0.5f, TopK: 2, Seed: 2), scores));
    }

    [Fact]
    public void TemperatureSharpensBeforeTopK()
    {
        // Temperature 0.5 squares the probabilities: 0.16 and 0.09 of the two kept, so 0.64 and 0.36 (not 0.57 and 0.43).
        var got = Shares(new GenerationOptions(Temperature: 0.5f, TopK: 2, Seed: 3), Scores(0.4, 0.3, 0.2, 0.1));
        AssertShares([0.64, 0.36, 0, 0], got);
    }

    [Fact]
    public void ANegativeTopKIsRefused() =>
        Assert.Contains("top-k -1", Assert.Throws<ArgumentException>(() => new GenerationOptions(Temperature: 1, TopK: -1).Checked()).Message);
}
