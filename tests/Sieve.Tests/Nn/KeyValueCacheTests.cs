using Sieve.Nn;

namespace Sieve.Tests.Nn;

public class KeyValueCacheTests
{
    /// <summary>Rows of [q; k; v] with q twice as wide as k and v (grouped-query attention), every value naming its token and column.</summary>
    static float[] Qkv(int first, int tokens, int width)
    {
        int stride = 4 * width;
        var rows = new float[tokens * stride];
        for (int t = 0; t < tokens; t++)
            for (int j = 0; j < stride; j++) rows[t * stride + j] = (first + t) * 1000 + j;
        return rows;
    }

    [Fact]
    public void AppendsKeepEveryTokensKeyAndValueInOrderAcrossGrowth()
    {
        const int width = 3, stride = 4 * width;
        var cache = new KeyValueCache(width, capacity: 2);
        int count = 0;
        // A prefill past the capacity, single decoding steps, then a chunk: each crosses a growth at some point.
        foreach (int tokens in new[] { 5, 1, 1, 1, 1, 7, 1, 20 })
        {
            cache.Append(Qkv(count, tokens, width), tokens, stride, 2 * width);
            count += tokens;
            Assert.Equal(count, cache.Count);
            for (int t = 0; t < count; t++)
                for (int j = 0; j < 2 * width; j++)
                    Assert.Equal(t * 1000 + 2 * width + j, cache.Rows[t * 2 * width + j]); // k then v of token t, as given
        }

        var copy = cache.Clone();
        copy.Append(Qkv(count, 1, width), 1, stride, 2 * width);
        Assert.Equal(count, cache.Count); // the original is untouched
        Assert.Equal(count + 1, copy.Count);
        Assert.Equal(cache.Rows.AsSpan(0, count * 2 * width).ToArray(), copy.Rows.AsSpan(0, count * 2 * width).ToArray());
        Assert.Equal(count * 1000 + 2 * width, copy.Rows[count * 2 * width]);
    }
}
