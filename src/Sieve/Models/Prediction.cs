namespace Sieve.Models;

/// <summary>One ranked class: its index, its name (or the index as text) and its probability.</summary>
public readonly record struct Prediction(int Index, string Label, float Probability)
{
    /// <summary>The <paramref name="k"/> most probable classes of softmax(<paramref name="logits"/>), best first (ties: lower index).</summary>
    public static Prediction[] TopK(ReadOnlySpan<float> logits, IReadOnlyList<string>? labels, int k)
    {
        var probs = logits.ToArray();
        Tensors.Softmax.InPlace(probs);
        return Ranked(probs, labels, k);
    }

    /// <summary>The <paramref name="k"/> highest of <paramref name="probabilities"/>, best first (ties: lower index).</summary>
    public static Prediction[] Ranked(ReadOnlySpan<float> probabilities, IReadOnlyList<string>? labels, int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "top-k must be at least 1");
        var probs = probabilities.ToArray();
        var order = Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).Take(k);
        return order.Select(i => new Prediction(i, labels != null && i < labels.Count ? labels[i] : i.ToString(), probs[i])).ToArray();
    }
}
