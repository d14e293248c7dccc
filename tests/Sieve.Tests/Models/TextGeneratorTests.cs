using Sieve.Models.Generation;

namespace Sieve.Tests.Models;

/// <summary>
/// Greedy and beam search (<see cref="TextGenerator"/>) on scripted decoders whose next-token probabilities are written
/// down, with the results worked out by hand from transformers' definitions.
/// </summary>
public class TextGeneratorTests
{
    /// <summary>A decoder whose logits are a function of the sequence so far; forks share the function.</summary>
    sealed class Scripted(Func<IReadOnlyList<int>, double[]> next, List<int>? seen = null) : IDecoderSession
    {
        readonly List<int> _seen = seen ?? [];

        public int Length => _seen.Count;

        public int VocabSize => 4;

        public float[] Append(ReadOnlySpan<int> tokens)
        {
            _seen.AddRange(tokens.ToArray());
            return Array.ConvertAll(next(_seen), v => (float)v);
        }

        public IDecoderSession Fork() => new Scripted(next, [.. _seen]);
    }

    // Tokens: 0 ends the sequence, 1 = A, 2 = B, 3 starts it.
    const int Eos = 0, A = 1, B = 2, Start = 3;

    /// <summary>Log-probabilities of (eos, A, B, start).</summary>
    static double[] Log(double eos, double a, double b, double start = 1e-9) => [Math.Log(eos), Math.Log(a), Math.Log(b), Math.Log(start)];

    /// <summary>P(A) 0.6, P(B) 0.4 first; after A: A 0.4, B 0.35, end 0.25; after B: end 0.9.</summary>
    static double[] Branching(IReadOnlyList<int> s) => s.Count switch
    {
        1 => Log(1e-6, 0.6, 0.4),
        _ when s[1] == A => Log(0.25, 0.4, 0.35),
        _ => Log(0.9, 0.05, 0.05),
    };

    [Fact]
    public void BeamSearchFindsTheLikelierShortSequenceGreedySearchMisses()
    {
        // Greedy: A (0.6), then A (0.4), at the max length of 3.
        Assert.Equal([Start, A, A], TextGenerator.Generate(new Scripted(Branching), [Start], new GenerationOptions(3), Eos));
        // Two beams: step 2's best candidate is B→end (0.4 · 0.9 = 0.36), a finished hypothesis scored ln 0.36 / 2 (two
        // generated tokens, the end counted); the running A A (0.24) and A B (0.21) are added at the max length as
        // ln 0.24 / 2 and ln 0.21 / 2: B then the end wins, and the end is appended.
        Assert.Equal([Start, B, Eos], TextGenerator.Generate(new Scripted(Branching), [Start], new GenerationOptions(3, Beams: 2), Eos));
        // A length penalty of 0 ranks by summed log-probability: ln 0.36 still beats ln 0.24.
        Assert.Equal([Start, B, Eos], TextGenerator.Generate(new Scripted(Branching), [Start], new GenerationOptions(3, Beams: 2, LengthPenalty: 0), Eos));
    }

    [Fact]
    public void MinLengthForbidsTheEndUntilTheSequenceIsLongEnough()
    {
        static double[] EndAtOnce(IReadOnlyList<int> s) => Log(0.7, 0.2, 0.1);
        Assert.Equal([Start, Eos], TextGenerator.Generate(new Scripted(EndAtOnce), [Start], new GenerationOptions(10), Eos));
        // min_length 4 counts the start: the end is masked while the sequence has 1, 2 or 3 tokens.
        Assert.Equal([Start, A, A, A, Eos], TextGenerator.Generate(new Scripted(EndAtOnce), [Start], new GenerationOptions(10, MinLength: 4), Eos));
        Assert.Equal([Start, A, A, A, Eos], TextGenerator.Generate(new Scripted(EndAtOnce), [Start], new GenerationOptions(10, MinLength: 4, Beams: 2), Eos));
    }

    [Fact]
    public void RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfTokensSeen()
    {
        // Fixed logits: end −5, A 2.0, B 1.5, start 1.9. With penalty 2, a seen token's positive logit is halved (the
        // start at once: 0.95). A; then A is 1.0 < B's 1.5: B; then A 1.0 > start 0.95 > B 0.75: A, A.
        static double[] Fixed(IReadOnlyList<int> s) => [-5, 2.0, 1.5, 1.9];
        Assert.Equal([Start, A, B, A, A], TextGenerator.Generate(new Scripted(Fixed), [Start], new GenerationOptions(5, RepetitionPenalty: 2), Eos));
        Assert.Equal([Start, A, A, A, A], TextGenerator.Generate(new Scripted(Fixed), [Start], new GenerationOptions(5), Eos));
        // A seen token's negative logit is multiplied: A's −2.5 becomes −5, below the end's −2.6 (divided, −1.25, it would win).
        static double[] EndNear(IReadOnlyList<int> s) => s.Count == 1 ? [-1, 0.5, -3, -2] : [-2.6, -2.5, -3, -4];
        Assert.Equal([Start, A, Eos], TextGenerator.Generate(new Scripted(EndNear), [Start], new GenerationOptions(4, RepetitionPenalty: 2), Eos));
    }

    [Fact]
    public void APromptThatLeavesNothingToGenerateIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => TextGenerator.Generate(new Scripted(Branching), [Start, A, B], new GenerationOptions(3), Eos));
        Assert.Contains("nothing is left to generate", e.Message);
        Assert.Throws<ArgumentException>(() => TextGenerator.Generate(new Scripted(Branching), [], new GenerationOptions(3), Eos));
        Assert.Throws<ArgumentException>(() => new GenerationOptions(3, MinLength: 4).Checked());
    }
}
