using Sieve.Models;
using Sieve.Nn;
using Sieve.Tensors;

namespace Sieve.Eval;

/// <summary>
/// How an evaluation gets one output vector per input out of a model — a ViT's features (the head's input), CLIP's
/// image or text embedding, ViLT's VQA logits or matching score — whatever reducers the model has bound (<see cref="IModel.WithReduction"/>), with an observer such as
/// <see cref="ForwardTrace"/> beside them.
/// </summary>
internal sealed class Embedder
{
    readonly Func<IModel, TowerInput, BlockHook?, float[]> _embed;

    Embedder(string items, Func<IModel, TowerInput, BlockHook?, float[]> embed) => (Items, _embed) = (items, embed);

    /// <summary>What one input is, plural, for messages and output ("images", "texts").</summary>
    public string Items { get; }

    /// <summary>Image embeddings: a ViT's final-normed class token (not its logits), any other encoder's image tower output.</summary>
    public static Embedder Image() => new("images", (m, input, hook) => ((IImageEncoder)m).EncodeImage(input, hook));

    /// <summary>Text embeddings from the text tower.</summary>
    public static Embedder Text() => new("texts", (m, input, hook) => ((ITextModel)m).TextTower.Forward(input, hook));

    /// <summary>ViLT's VQA logits, one per answer, of a question (ids) about an image (<see cref="TowerInput.Pair"/>).</summary>
    public static Embedder Answers() => new("questions", (m, input, hook) => ((ViltModel)m).AnswerLogits(((ViltModel)m).Pair(input), hook));

    /// <summary>ViLT's image–text matching logit of a pair (<see cref="TowerInput.Pair"/>), as a one-value output.</summary>
    public static Embedder Matches() => new("pairs", (m, input, hook) => [((ViltModel)m).MatchScore(((ViltModel)m).Pair(input), hook)]);

    /// <summary>
    /// Every input's embedding by <paramref name="model"/> (spread over the cores; result <c>i</c> is input <c>i</c>'s)
    /// and each input's multiply-adds as executed (<see cref="GMacs"/> averages them).
    /// </summary>
    /// <param name="model">The model, reducers bound.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="progress">Null, or called once per input (from worker threads).</param>
    public (float[][] Embeddings, long[] Macs) Run(IModel model, IReadOnlyList<TowerInput> inputs, Action? progress = null)
    {
        var embeddings = new float[inputs.Count][];
        var macs = new long[inputs.Count];
        Threading.ForEachSample(inputs.Count, i =>
        {
            var trace = new ForwardTrace();
            embeddings[i] = _embed(model, inputs[i], trace);
            macs[i] = trace.Macs;
            progress?.Invoke();
        });
        return (embeddings, macs);
    }

    /// <summary>The mean of <paramref name="macs"/> (one per input), in billions.</summary>
    public static double GMacs(IReadOnlyList<long> macs) => macs.Average() / 1e9;

    /// <summary>One timed run: every input through <paramref name="model"/>, spread over the cores, nothing traced.</summary>
    public Action Timed(IModel model, IReadOnlyList<TowerInput> inputs) =>
        () => Threading.ForEachSample(inputs.Count, i => _embed(model, inputs[i], null));
}
