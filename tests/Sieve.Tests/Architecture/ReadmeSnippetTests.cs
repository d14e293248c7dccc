using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Tests.Architecture;

/// <summary>
/// The README's C# blocks (Library, and ViLT's, which continues it) are exactly the code between the markers below,
/// and they run. This file's <c>using</c> directives are the Library block's (test helpers are written
/// <c>Support.…</c>), so the blocks compile as they stand.
/// </summary>
[Collection(Support.ThreadCountCollection.Name)] // not beside any other test: the runs change the process's current directory
public sealed partial class ReadmeSnippetTests
{
    const string Library = "## Library", Vilt = "## Visual question answering and image–text matching (ViLT)",
        Blip = "## Image–text matching and contrastive embeddings (BLIP)", Evaluation = "## Evaluation in code";

    [Fact]
    public void TheReadmeLibraryBlockIsTheCodeThisFileRuns()
    {
        var block = ReadmeBlock(Library);
        var fileUsings = Source().TakeWhile(l => !l.StartsWith("namespace ", StringComparison.Ordinal)).Where(l => l.Length > 0);
        Assert.Equal(block.Where(IsUsing), fileUsings);
        Assert.Equal(Dedent(block.Where(l => !IsUsing(l)).SkipWhile(l => l.Length == 0)), Region("Library"));
    }

    [Fact]
    public void TheReadmeViltBlockIsTheCodeThisFileRuns()
    {
        var block = ReadmeBlock(Vilt);
        Assert.DoesNotContain(block, IsUsing); // it runs under the Library block's usings, as its first comment says
        Assert.Equal(Dedent(block), Region("ViLT"));
    }

    [Fact]
    public void TheReadmeBlipBlockIsTheCodeThisFileRuns()
    {
        var block = ReadmeBlock(Blip);
        Assert.DoesNotContain(block, IsUsing);
        Assert.Equal(Dedent(block), Region("BLIP"));
    }

    [Fact]
    public void EveryLibraryNameTheBlocksUseIsPublic()
    {
        // The test project sees internals, so compiling the blocks here does not prove a user can: every type the blocks
        // name (code and comments) must be public, and every member name they use must be public somewhere in the
        // library (by name only: a hidden overload beside a public one of the same name passes).
        var types = typeof(VitModel).Assembly.GetTypes();
        var namespaces = types.SelectMany(t => (t.Namespace ?? "").Split('.')).ToHashSet(); // `using Sieve.Data;` names no member
        var names = new[] { Library, Vilt, Blip, Evaluation }.SelectMany(ReadmeBlock).SelectMany(l => Identifier().Matches(l)).Select(m => m.Value).Distinct()
            .Where(name => !namespaces.Contains(name));
        var hidden = new List<string>();
        foreach (string name in names)
        {
            var named = types.Where(t => t.Name == name).ToArray();
            var members = types.SelectMany(t => t.GetMembers(Every)).Where(m => m.Name == name).ToArray();
            if ((named.Length > 0 && !named.Any(t => t.IsVisible)) || (members.Length > 0 && !members.Any(IsPublic))) hidden.Add(name);
        }
        Assert.True(hidden.Count == 0, "the README's blocks use names that are not public: " + string.Join(", ", hidden));
    }

    [Support.SharedDataFact]
    public void TheReadmeLibraryBlockRuns() => InReadmeCheckout(repo =>
    {
        RandomModelFolder.Write(ModelFamily.Clip, RandomModelSize.Tiny, Path.Combine(repo, "clip-vit-base-patch16"));
        File.Copy(Support.SharedData.Path("data", "imagenet-sample-dev", "n01440764_tench.JPEG"), Path.Combine(repo, "tench.jpg"));
    }, () =>
    {
        // README Library: begin
        var vit = VitModel.Load("../shared/models/vit-tiny-patch16-224");
        var tench = ImageDecoder.Decode("tench.jpg");
        Prediction[] top5 = vit.Classify(tench);                                  // Index, Label, Probability

        var clip = ClipModel.Load("clip-vit-base-patch16");
        var photo = ImageDecoder.Decode("photo.jpg");
        float[] image = clip.EncodeImage(photo);                                  // projected, not normalised
        float[] text = clip.EncodeText("a photo of a cat");
        Prediction[] labels = clip.ZeroShot(["cat", "dog"]).Classify(photo);      // CLIP's 7-prompt ensemble by default

        // token reduction: a copy that shares the weights and runs the reducer in every forward (specs: Token reduction)
        var fastVit = vit.WithReduction(ModelReduction.Parse("crossget:r=16"));  // fitted guidance: a second argument
        var fastClip = clip.WithReduction(ModelReduction.Parse("vision=crossget:r=16;text=tome:r=6"));
        Prediction[] fastTop5 = fastVit.Classify(tench);
        float[] fastImage = fastClip.EncodeImage(photo);

        // executed multiply-adds: a ForwardTrace observes one forward (any ITower: tower.Forward(input, trace))
        var trace = new ForwardTrace();
        fastVit.Logits(fastVit.Preprocess(tench), trace);                         // trace.GMacs 0.657; dense: vit.Macs, 1.254 G
        // README Library: end

        Assert.Equal(5, top5.Length);
        Assert.Equal("tench", top5[0].Label);
        Assert.Equal("tench", fastTop5[0].Label);
        Assert.NotEqual(top5.Select(p => p.Probability), fastTop5.Select(p => p.Probability)); // the reduced copy reduces
        Assert.All(new[] { image, text, fastImage }, e => Assert.Equal(clip.Config.ProjectionDim, e.Length));
        Assert.NotEqual(image, fastImage);
        var visionTrace = new ForwardTrace(); // the comment's tower.Forward: crossget r=16 in the vision tower, 50 tokens at 224/32
        ITower vision = fastClip.Vision;
        Assert.Equal(fastImage, vision.Forward(TowerInput.Image(fastClip.Preprocess(photo), vision.ImageSize), visionTrace));
        Assert.Equal([34, 18], visionTrace.Layers.Select(l => l.MlpTokens));
        Assert.Equal(["cat", "dog"], labels.Select(p => p.Label).Order());
        Assert.Equal(1, labels.Sum(p => p.Probability), 1e-5);
        // The numbers the comment states (ViT-Tiny's 197 tokens lose 16 per block, ALGORITHMS.md §2d).
        Assert.Equal([181, 165, 149, 133, 117, 101, 85, 69, 53, 37, 21, 11], trace.Layers.Select(l => l.MlpTokens));
        Assert.Equal(0.657, Math.Round(trace.GMacs, 3));
        Assert.Equal(1.254, Math.Round(vit.Macs / 1e9, 3));
    });

    [Support.SharedDataFact]
    public void TheReadmeViltBlockRuns() => InReadmeCheckout(repo =>
    {
        RandomModelFolder.Write(ModelFamily.Vilt, RandomModelSize.Tiny, Path.Combine(repo, "vilt-b32-finetuned-vqa"), seed: 1);
        RandomModelFolder.Write(ModelFamily.Vilt, RandomModelSize.Tiny, Path.Combine(repo, "vilt-b32-finetuned-coco"), seed: 2);
    }, () =>
    {
        // README ViLT: begin
        var vilt = ViltModel.Load("vilt-b32-finetuned-vqa");                     // after the Library block's usings
        var photo = ImageDecoder.Decode("photo.jpg");
        Prediction[] answers = vilt.Answer(photo, "how many cats are there?");   // top 5, each with its sigmoid score
        ViltInput input = vilt.Prepare(photo, "how many cats are there?");       // ids + pixels; input.Warning if the text was cut
        var trace = new ForwardTrace();
        float[] logits = vilt.WithReduction(ModelReduction.Parse("tome:r=8")).AnswerLogits(input, trace);  // one "fusion" tower
        float score = ViltModel.Load("vilt-b32-finetuned-coco").MatchScore(photo, "two cats on a sofa");   // rank_output logit
        // README ViLT: end

        Assert.Equal(5, answers.Length);
        Assert.All(answers, a => Assert.Contains(a.Label, vilt.Answers));
        Assert.Null(input.Warning);
        float[] dense = vilt.AnswerLogits(input);
        Assert.Equal(Enumerable.Range(0, dense.Length).OrderByDescending(i => dense[i]).Take(5), answers.Select(a => a.Index));
        Assert.All(answers, a => Assert.Equal(1 / (1 + Math.Exp(-dense[a.Index])), a.Probability, 1e-6));
        Assert.Equal(dense.Length, logits.Length);
        Assert.NotEqual(dense, logits); // the reduced copy reduces: 8 tokens fewer after each block
        Assert.Equal(vilt.Config.Layers, trace.Layers.Count);
        Assert.Equal(trace.Layers.Select(l => l.AttentionTokens - 8), trace.Layers.Select(l => l.MlpTokens));
        Assert.True(float.IsFinite(score));
    });

    [Support.SharedDataFact]
    public void TheReadmeEvaluationBlockRuns() => InReadmeCheckout(repo =>
    {
        RandomModelFolder.Write(ModelFamily.Clip, RandomModelSize.Tiny, Path.Combine(repo, "clip-vit-base-patch16"));
    }, () =>
    {
        // README Evaluation: begin
        var vit = VitModel.Load("../shared/models/vit-tiny-patch16-224");         // after the Library block's usings
        var clip = ClipModel.Load("clip-vit-base-patch16");
        ModelReduction[] reducers = [ModelReduction.Parse("tome:r=13"), ModelReduction.Parse("crossget:r=16")];
        var first40 = new DataLoading { Limit = 40 };                              // default: every item

        // labelled ImageNet-style folder: a ViT's top-1 against the labels, or CLIP zero-shot with the classes' names
        var dev = ImageFolderDataset.Load("../shared/data/imagenet-sample-dev");
        ITaskEvaluation classify = TaskEvaluations.Classify(vit, dev, first40);
        ITaskEvaluation zeroShot = TaskEvaluations.ZeroShot(clip, dev, dev.ClassNames, loading: first40);
        // no labels: fidelity of embeddings to dense (any images; texts: TaskEvaluations.TextEmbedding)
        var photos = Directory.GetFiles("../shared/data/coco-mini/val2017");
        ITaskEvaluation embedding = TaskEvaluations.ImageEmbedding(clip, photos, first40);
        // image–text retrieval: COCO captions (or a Karpathy JSON and its split), the first 40 images with their captions
        var coco = ImageCaptions.Load("../shared/data/coco-mini/annotations/captions_val2017.json");
        ITaskEvaluation retrieval = TaskEvaluations.Retrieval(clip, coco, first40);

        // dense first, then each reducer: the task's metrics, agreement with dense, GMACs as executed, measured speed
        foreach (ITaskResult row in classify.Measure(reducers, speed: new SpeedOptions(items: 16, rounds: 10)))
            Console.WriteLine($"{row.Reducer}: top-1 {row.Score:F1}, agree {row.Agreement:P1}, {row.GMacs:F3} GMACs, {row.SpeedUp:F2}×");
        IReadOnlyList<ITaskResult> rows = retrieval.Evaluate(reducers);            // metrics alone: the recall sum in Score,
        double? meanCosine = embedding.Evaluate(reducers)[1].Cosine;              // every metric in Metrics
        // README Evaluation: end

        Assert.Equal((40, 40, 40, 40), (classify.Count, zeroShot.Count, embedding.Count, retrieval.Count));
        Assert.Equal(["none", "tome:r=13", "crossget:r=16"], rows.Select(r => r.Reducer));
        Assert.All(rows, r => Assert.InRange(r.Score!.Value, 0, 600));
        Assert.Equal(1.0, rows[0].Agreement);
        Assert.InRange(meanCosine!.Value, -1, 1 - 1e-9); // tome changes the embeddings
        var zeroShotRows = zeroShot.Evaluate([]);
        Assert.Equal("none", Assert.Single(zeroShotRows).Reducer);
        Assert.Equal(["top1", "top5", "promptGMacs"], zeroShotRows[0].Metrics.Select(m => m.Key));
    });

    [Support.SharedDataFact]
    public void TheReadmeBlipBlockRuns() => InReadmeCheckout(repo =>
        RandomModelFolder.Write(ModelFamily.Blip, RandomModelSize.Tiny, Path.Combine(repo, "blip-itm-base-coco"), seed: 3), () =>
    {
        // README BLIP: begin
        var blip = BlipModel.Load("blip-itm-base-coco");                           // after the Library block's usings
        var photo = ImageDecoder.Decode("photo.jpg");
        BlipMatch match = blip.Match(photo, "two cats on a sofa");                // ITM probability and contrastive (ITC) score
        float[] image = blip.EncodeImage(photo), text = blip.EncodeText("two cats on a sofa");  // contrastive embeddings
        var trace = new ForwardTrace();
        var input = TowerInput.Image(blip.Preprocessor.Process(photo), 384);                  // preprocessed once
        float[] reduced = blip.WithReduction(ModelReduction.Parse("tome:r=16")).EncodeImage(input, trace);  // 16 image tokens fewer per block
        // README BLIP: end

        Assert.InRange(match.MatchProbability, 0f, 1f);
        Assert.Equal(CosineSimilarity.Of(image, text), match.ContrastiveScore, 1e-5);
        Assert.Equal(image.Length, reduced.Length);
        Assert.NotEqual(image, reduced);
        Assert.Equal([145, 129], trace.Layers.Select(l => l.AttentionTokens)); // 12 × 12 patches + class token, 16 fewer per block
        Assert.Equal([129, 113], trace.Layers.Select(l => l.MlpTokens));
    });

    /// <summary>
    /// Runs <paramref name="body"/> where the blocks' relative paths hold, as in a checkout beside ../shared: T/repo is the
    /// current directory, T/shared the real shared folder (linked), <c>photo.jpg</c> a real photo, and
    /// <paramref name="setUp"/> writes the models the block loads into T/repo.
    /// </summary>
    static void InReadmeCheckout(Action<string> setUp, Action body)
    {
        using var folder = new Support.TempFolder("sieve-readme-");
        string repo = Directory.CreateDirectory(Path.Combine(folder.Path, "repo")).FullName;
        string shared = Path.Combine(folder.Path, "shared");
        Directory.CreateSymbolicLink(shared, Support.SharedData.Path());
        try
        {
            File.Copy(Support.SharedData.Path("data", "imagenet-sample-dev", "n02123597_Siamese_cat.JPEG"), Path.Combine(repo, "photo.jpg"));
            setUp(repo);
            string saved = Environment.CurrentDirectory;
            Environment.CurrentDirectory = repo;
            try { body(); }
            finally { Environment.CurrentDirectory = saved; }
        }
        finally { Directory.Delete(shared); } // the link alone, before the folder is deleted with its contents
    }

    static string[] Source() =>
        File.ReadAllLines(Path.Combine(Support.RepositoryRoot.Path, "tests", "Sieve.Tests", "Architecture", "ReadmeSnippetTests.cs"));

    /// <summary>The lines between <c>// README {name}: begin</c> and <c>// README {name}: end</c> in this file, dedented.</summary>
    static string[] Region(string name)
    {
        var source = Source();
        int begin = Array.FindIndex(source, l => l.Trim() == $"// README {name}: begin");
        int end = Array.FindIndex(source, l => l.Trim() == $"// README {name}: end");
        Assert.True(begin >= 0 && end > begin, $"no '// README {name}: begin' … 'end' region in ReadmeSnippetTests.cs");
        return Dedent(source[(begin + 1)..end]);
    }

    /// <summary>The lines of the first <c>```csharp</c> block in the README's section <paramref name="heading"/>.</summary>
    static string[] ReadmeBlock(string heading)
    {
        var readme = File.ReadAllLines(Path.Combine(Support.RepositoryRoot.Path, "README.md"));
        int section = Array.IndexOf(readme, heading);
        Assert.True(section >= 0, $"README.md has no '{heading}' section");
        int open = Array.FindIndex(readme, section, l => l == "```csharp");
        int close = open < 0 ? -1 : Array.FindIndex(readme, open + 1, l => l == "```");
        Assert.True(open >= 0 && close > open, $"README.md's '{heading}' section has no ```csharp block");
        Assert.DoesNotContain(readme[(section + 1)..open], l => l.StartsWith("## ", StringComparison.Ordinal));
        return readme[(open + 1)..close];
    }

    const System.Reflection.BindingFlags Every = System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic
        | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static;

    static bool IsPublic(System.Reflection.MemberInfo member) => member.ReflectedType!.IsVisible && member switch
    {
        System.Reflection.MethodBase m => m.IsPublic,
        System.Reflection.PropertyInfo p => p.GetMethod?.IsPublic == true,
        System.Reflection.FieldInfo f => f.IsPublic,
        System.Reflection.EventInfo e => e.AddMethod?.IsPublic == true,
        _ => true, // nested types: checked by name
    };

    [System.Text.RegularExpressions.GeneratedRegex(@"\b[A-Z][A-Za-z0-9]*\b")]
    private static partial System.Text.RegularExpressions.Regex Identifier();

    static bool IsUsing(string line) => line.StartsWith("using ", StringComparison.Ordinal);

    /// <summary>The lines without trailing spaces and without the indentation they all share.</summary>
    static string[] Dedent(IEnumerable<string> lines)
    {
        var trimmed = lines.Select(l => l.TrimEnd()).ToArray();
        int indent = trimmed.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return trimmed.Select(l => l.Length == 0 ? l : l[indent..]).ToArray();
    }
}
