using Sieve.Data;
using Sieve.Eval;
using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Tests.Architecture;

/// <summary>
/// The README's Library block is exactly the code between the markers below, and it runs. This file's <c>using</c>
/// directives are the block's (test helpers are written <c>Support.…</c>), so the block compiles as it stands.
/// </summary>
[Collection(Support.ThreadCountCollection.Name)] // not beside any other test: the run changes the process's current directory
public sealed class ReadmeSnippetTests
{
    const string Begin = "// README Library: begin", End = "// README Library: end";

    [Fact]
    public void TheReadmeLibraryBlockIsTheCodeThisFileRuns()
    {
        var block = ReadmeLibraryBlock();
        var source = File.ReadAllLines(Path.Combine(Support.RepositoryRoot.Path, "tests", "Sieve.Tests", "Architecture", "ReadmeSnippetTests.cs"));
        var fileUsings = source.TakeWhile(l => !l.StartsWith("namespace ", StringComparison.Ordinal)).Where(l => l.Length > 0).ToArray();
        int begin = Array.FindIndex(source, l => l.Trim() == Begin), end = Array.FindIndex(source, l => l.Trim() == End);
        Assert.True(begin >= 0 && end > begin, $"no '{Begin}' … '{End}' region in ReadmeSnippetTests.cs");

        Assert.Equal(block.Where(IsUsing), fileUsings);
        Assert.Equal(Dedent(block.Where(l => !IsUsing(l)).SkipWhile(l => l.Length == 0)), Dedent(source[(begin + 1)..end]));
    }

    [Support.SharedDataFact]
    public void TheReadmeLibraryBlockRuns()
    {
        // The block's relative paths, as in a checkout beside ../shared: T/repo is the current directory, T/shared the
        // real shared folder (linked), the CLIP folder a random tiny model with a tokenizer, the photos real images.
        using var folder = new Support.TempFolder("sieve-readme-");
        string repo = Directory.CreateDirectory(Path.Combine(folder.Path, "repo")).FullName;
        string shared = Path.Combine(folder.Path, "shared");
        Directory.CreateSymbolicLink(shared, Support.SharedData.Path());
        RandomModelFolder.Write(ModelFamily.Clip, RandomModelSize.Tiny, Path.Combine(repo, "clip-vit-base-patch16"));
        File.Copy(Support.SharedData.Path("data", "imagenet-sample-dev", "n01440764_tench.JPEG"), Path.Combine(repo, "tench.jpg"));
        File.Copy(Support.SharedData.Path("data", "imagenet-sample-dev", "n02123597_Siamese_cat.JPEG"), Path.Combine(repo, "photo.jpg"));
        string saved = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = repo;

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
            Assert.Equal(["cat", "dog"], labels.Select(p => p.Label).Order());
            Assert.Equal(1, labels.Sum(p => p.Probability), 1e-5);
            // The numbers the comment states (ViT-Tiny's 197 tokens lose 16 per block, ALGORITHMS.md §2d).
            Assert.Equal([181, 165, 149, 133, 117, 101, 85, 69, 53, 37, 21, 11], trace.Layers.Select(l => l.MlpTokens));
            Assert.Equal(0.657, Math.Round(trace.GMacs, 3));
            Assert.Equal(1.254, Math.Round(vit.Macs / 1e9, 3));
        }
        finally
        {
            Environment.CurrentDirectory = saved;
            Directory.Delete(shared); // the link alone, before the folder is deleted with its contents
        }
    }

    /// <summary>The lines of the first <c>```csharp</c> block after the README's <c>## Library</c> heading.</summary>
    static string[] ReadmeLibraryBlock()
    {
        var readme = File.ReadAllLines(Path.Combine(Support.RepositoryRoot.Path, "README.md"));
        int section = Array.IndexOf(readme, "## Library");
        Assert.True(section >= 0, "README.md has no '## Library' section");
        int open = Array.FindIndex(readme, section, l => l == "```csharp");
        int close = open < 0 ? -1 : Array.FindIndex(readme, open + 1, l => l == "```");
        Assert.True(open >= 0 && close > open, "the README's Library section has no ```csharp block");
        Assert.DoesNotContain(readme[(section + 1)..open], l => l.StartsWith("## ", StringComparison.Ordinal));
        return readme[(open + 1)..close];
    }

    static bool IsUsing(string line) => line.StartsWith("using ", StringComparison.Ordinal);

    /// <summary>The lines without trailing spaces and without the indentation they all share.</summary>
    static string[] Dedent(IEnumerable<string> lines)
    {
        var trimmed = lines.Select(l => l.TrimEnd()).ToArray();
        int indent = trimmed.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return trimmed.Select(l => l.Length == 0 ? l : l[indent..]).ToArray();
    }
}
