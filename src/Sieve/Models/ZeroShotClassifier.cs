using System.Numerics.Tensors;
using Sieve.Data;
using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>
/// CLIP zero-shot classification as in CLIP's ImageNet evaluation: each class embedding is the
/// normalised mean of its normalised prompt embeddings; logits = exp(logit_scale) · cosine.
/// </summary>
public sealed class ZeroShotClassifier
{
    /// <summary>CLIP's recommended 7-prompt ensemble; "{}" stands for the class name.</summary>
    public static IReadOnlyList<string> DefaultTemplates { get; } =
    [
        "itap of a {}.", "a bad photo of the {}.", "a origami {}.", "a photo of the large {}.",
        "a {} in a video game.", "art of the {}.", "a photo of the small {}.",
    ];

    readonly ClipModel _model;
    readonly float[][] _classEmbeddings;

    /// <summary>Class names, in logit order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>One sentence per prompt that was cut to the text tower's context length (empty when none was).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Multiply-adds of embedding every prompt (labels × templates) as executed, in billions: the one-off cost of the classifier.</summary>
    internal double PromptGMacs { get; }

    internal ZeroShotClassifier(ClipModel model, IReadOnlyList<string> labels, IReadOnlyList<string> templates)
    {
        if (labels.Count == 0) throw new ArgumentException("zero-shot classification needs at least one label", nameof(labels));
        if (templates.Count == 0) throw new ArgumentException("at least one prompt template is needed", nameof(templates));
        foreach (var t in templates)
            if (!t.Contains("{}")) throw new ArgumentException($"template \"{t}\" has no {{}} placeholder for the class name", nameof(templates));
        _model = model;
        Labels = labels.ToArray();
        _classEmbeddings = new float[labels.Count][];
        var warnings = new List<string>?[labels.Count];
        var macs = new long[labels.Count];
        Tensors.Threading.For(labels.Count, c =>
        {
            var sum = new float[model.EmbeddingSize];
            foreach (var template in templates)
            {
                string prompt = template.Replace("{}", labels[c]);
                var tokens = model.Tokenizer.Tokenize(prompt);
                if (tokens.Warning != null) (warnings[c] ??= []).Add($"prompt '{Shortened(prompt)}': {tokens.Warning}");
                var trace = new ForwardTrace();
                TensorPrimitives.Add(sum, Normalized(model.Text.Encode(tokens.Ids, trace)), sum);
                macs[c] += trace.Macs;
            }
            _classEmbeddings[c] = Normalized(sum);
        });
        PromptGMacs = macs.Sum() / 1e9;
        Warnings = [.. warnings.Where(w => w != null).SelectMany(w => w!)];
    }

    /// <summary>A long prompt's start, for a warning about it.</summary>
    static string Shortened(string prompt) => prompt.Length <= 60 ? prompt : prompt[..57] + "…";

    /// <summary>Logits exp(s)·cos(image, class) for every class.</summary>
    /// <param name="image">The image.</param>
    public float[] Logits(RgbImage image) => LogitsForEmbedding(_model.EncodeImage(image));

    /// <summary>Logits for an already computed image embedding.</summary>
    public float[] LogitsForEmbedding(ReadOnlySpan<float> imageEmbedding)
    {
        var image = Normalized(imageEmbedding);
        return _classEmbeddings.Select(c => _model.LogitScale * TensorPrimitives.Dot(image, c)).ToArray();
    }

    /// <summary>The <paramref name="top"/> most probable labels for an image.</summary>
    /// <param name="image">The image.</param>
    /// <param name="top">How many labels.</param>
    public Prediction[] Classify(RgbImage image, int top = 5) =>
        Prediction.TopK(Logits(image), Labels, Math.Min(top, Labels.Count));

    /// <summary>x / ‖x‖ (ε = 1e-12 guards the zero vector).</summary>
    public static float[] Normalized(ReadOnlySpan<float> x)
    {
        var y = new float[x.Length];
        TensorPrimitives.Divide(x, MathF.Max(TensorPrimitives.Norm(x), 1e-12f), y);
        return y;
    }
}
