using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Tests.Reference;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Models;

/// <summary>
/// Zero-shot probabilities against CLIP's recipe computed in float64 from the raw weights: per class the
/// normalised mean of the normalised prompt embeddings (prompt ensemble), logits exp(logit_scale) · cosine with
/// the normalised image embedding, softmax over the classes.
/// </summary>
public class ZeroShotReferenceTests
{
    /// <summary>CLIP's 7-prompt ImageNet ensemble as published (notebooks/Prompt_Engineering_for_ImageNet.ipynb).</summary>
    static readonly string[] ClipTemplates =
    [
        "itap of a {}.", "a bad photo of the {}.", "a origami {}.", "a photo of the large {}.",
        "a {} in a video game.", "art of the {}.", "a photo of the small {}.",
    ];

    const int Positions = 24, Start = 58, End = 59, Period = 56;

    /// <summary>
    /// The tiny vocabulary's ids for lower-case words and full stops, written out by hand: a word is its letters
    /// (the last one in its end-of-word form), except "cat" and "dog", which the merges join; "." is a word of its own.
    /// </summary>
    static int[] Ids(string text)
    {
        var ids = new List<int> { Start };
        foreach (var word in text.Replace(".", " .").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word == "cat") ids.Add(53);
            else if (word == "dog") ids.Add(55);
            else if (word == ".") ids.Add(Period);
            else for (int i = 0; i < word.Length; i++) ids.Add(word[i] - 'a' + (i == word.Length - 1 ? 26 : 0));
        }
        ids.Add(End);
        return [.. ids];
    }

    static double[] Normalized(double[] x)
    {
        double norm = Math.Sqrt(x.Sum(v => v * v));
        return x.Select(v => v / norm).ToArray();
    }

    /// <summary>Softmax over the classes of exp(logit_scale) · cos, and the logits.</summary>
    static (double[] Logits, double[] Probabilities) Reference(TinyCheckpoint ck, float[] pixels, string[] labels, string[] templates)
    {
        var image = Normalized(ClipReference.Image(n => ck[n], Ref64.ToDouble(pixels), TinyModels.ClipImage, TinyModels.ClipPatch,
            TinyModels.ClipVisionWidth, TinyModels.ClipLayers, TinyModels.ClipVisionHeads, TinyModels.ClipVisionHidden, TinyModels.ClipProjection, quickGelu: true));
        double scale = Math.Exp(ck["logit_scale"][0]);
        var logits = labels.Select(label =>
        {
            var sum = new double[TinyModels.ClipProjection];
            foreach (var template in templates)
            {
                var prompt = Normalized(ClipReference.Text(n => ck[n], Ids(template.Replace("{}", label)), End, TinyModels.ClipTextWidth,
                    TinyModels.ClipLayers, TinyModels.ClipTextHeads, TinyModels.ClipTextHidden, TinyModels.ClipProjection, quickGelu: true));
                for (int i = 0; i < sum.Length; i++) sum[i] += prompt[i];
            }
            var classEmbedding = Normalized(sum);
            return scale * image.Zip(classEmbedding, (a, b) => a * b).Sum();
        }).ToArray();
        double max = logits.Max(), total = logits.Sum(l => Math.Exp(l - max));
        return (logits, logits.Select(l => Math.Exp(l - max) / total).ToArray());
    }

    /// <summary>A tiny CLIP with 24 text positions (the longest default prompt takes 20) and "." in its vocabulary.</summary>
    static TinyCheckpoint Model()
    {
        var ck = TinyModels.Clip(61, DType.F32, positions: Positions);
        TinyClipVocab.WriteTo(ck.Directory);
        string path = Path.Combine(ck.Directory, "vocab.json");
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(path))!;
        vocab.Remove("th"); // a filler entry: its id becomes the full stop's
        vocab[".</w>"] = Period;
        File.WriteAllText(path, JsonSerializer.Serialize(vocab));
        return ck;
    }

    static RgbImage Image(int seed)
    {
        var pixels = new byte[40 * 40 * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(40, 40, pixels);
    }

    static void AssertMatches(ZeroShotClassifier classifier, ClipModel model, TinyCheckpoint ck, RgbImage image, string[] labels, string[] templates)
    {
        var (logits, probabilities) = Reference(ck, model.Preprocess(image), labels, templates);
        var got = classifier.Logits(image);
        for (int c = 0; c < labels.Length; c++)
            Assert.True(Math.Abs(got[c] - logits[c]) <= 2e-4, $"{labels[c]}: logit {got[c]} vs float64 {logits[c]}");
        var ranked = classifier.Classify(image, labels.Length);
        Assert.Equal(Enumerable.Range(0, labels.Length).OrderByDescending(c => probabilities[c]), ranked.Select(p => p.Index));
        foreach (var p in ranked)
            Assert.True(Math.Abs(p.Probability - probabilities[p.Index]) <= 5e-5, $"{p.Label}: {p.Probability} vs float64 {probabilities[p.Index]}");
        // Fixtures far from uniform, so a lost logit scale or ensemble weighting shows in the probabilities.
        Assert.True(probabilities.Max() - probabilities.Min() > 0.05, $"probabilities {string.Join(", ", probabilities)} too close to uniform");
    }

    [Fact]
    public void DefaultEnsembleMatchesTheFloat64Reference()
    {
        using var ck = Model();
        var model = ClipModel.Load(ck.Directory);
        Assert.Equal(ClipTemplates, ZeroShotClassifier.DefaultTemplates);
        string[] labels = ["cat", "dog", "fox"];
        foreach (var prompt in labels.SelectMany(l => ClipTemplates.Select(t => t.Replace("{}", l))))
            Assert.Equal(Ids(prompt), model.Tokenizer.Encode(prompt)); // the hand ids are what the model reads
        var classifier = model.ZeroShot(labels); // no templates given: the default ensemble
        AssertMatches(classifier, model, ck, Image(3), labels, ClipTemplates);
        AssertMatches(classifier, model, ck, Image(4), labels, ClipTemplates);
    }

    [Fact]
    public void GivenTemplatesMatchTheFloat64Reference()
    {
        using var ck = Model();
        var model = ClipModel.Load(ck.Directory);
        string[] labels = ["cat", "dog", "owl", "bee"], templates = ["a photo of a {}", "a {} drawing"];
        Assert.Equal(Ids("a photo of a owl"), model.Tokenizer.Encode("a photo of a owl"));
        AssertMatches(model.ZeroShot(labels, templates), model, ck, Image(5), labels, templates);
    }
}
