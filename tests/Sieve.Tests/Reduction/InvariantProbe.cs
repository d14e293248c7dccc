using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Tests.Reduction;

/// <summary>
/// Wraps a reducer and checks ALGORITHMS.md's invariants on the token set after every step: sizes sum
/// to the original count, protected tokens stay (class token first), the count only falls, the source
/// map points at live tokens.
/// </summary>
sealed class InvariantProbe(TokenReducer inner) : TokenReducer(inner.Tower, inner.ProportionalAttention)
{
    int _original = -1;
    public int Steps { get; private set; }
    public int Reduced { get; private set; }

    public override bool NeedsProbabilities(int layer) => inner.NeedsProbabilities(layer);
    public override bool NeedsHeadOutputs => inner.NeedsHeadOutputs;

    public override void Begin(TokenSet tokens)
    {
        inner.Begin(tokens);
        _original = tokens.Count;
    }

    public override void BeforeBlock(int layer, TokenSet tokens) => inner.BeforeBlock(layer, tokens);

    public override long AfterAttention(int layer, TokenSet tokens, AttentionCapture attention)
    {
        int before = tokens.Count;
        var protectedBefore = Enumerable.Range(0, before).Where(i => tokens.Protected[i]).Select(i => tokens.Row(i).ToArray()).ToList();
        long macs = inner.AfterAttention(layer, tokens, attention);
        Steps++;
        if (tokens.Count < before) Reduced++;

        Assert.True(tokens.Count <= before);
        Assert.Equal(_original, tokens.Sizes.ToArray().Sum(), 3);
        Assert.True(tokens.Protected[0], "the class token must stay at index 0");
        var protectedAfter = Enumerable.Range(0, tokens.Count).Where(i => tokens.Protected[i]).Select(i => tokens.Row(i).ToArray()).ToList();
        Assert.Equal(protectedBefore.Count, protectedAfter.Count);
        for (int p = 0; p < protectedBefore.Count; p++) Assert.Equal(protectedBefore[p], protectedAfter[p]); // untouched, in order
        foreach (int s in tokens.Source) Assert.InRange(s, 0, tokens.Count - 1);
        Assert.True(macs >= 0);
        return macs;
    }
}
