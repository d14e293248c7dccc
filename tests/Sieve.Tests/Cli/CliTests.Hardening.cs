using System.Security.Cryptography;
using System.Text.Json;
using Sieve.Cli;
using Sieve.Cli.Commands;
using Sieve.Data;
using Sieve.Fitting;
using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>Regression tests of issue 12's command-line defects: each failed before its fix.</summary>
public sealed partial class CliTests
{
    /// <summary>A refusal: exit code 2, nothing on stdout, exactly one <c>error: …</c> line on stderr, which is returned.</summary>
    static string Refused(CliRun run)
    {
        Assert.True(run.Code == SieveCli.InputError, $"exit {run.Code}: {run.Output}");
        Assert.Equal("", run.Stdout);
        string[] lines = run.Stderr.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, run.Stderr);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", lines[0]);
        return lines[0];
    }

    static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));

    [Fact]
    public void NonNumericOptionValuesAreUsageErrorsNotCrashes()
    {
        using var vit = TinyModels.Vit(201, DType.F32);
        string image = WriteImage("n.png", 201), data = WriteDataset(), guide = Path.Combine(_temp.Path, "g.safetensors");
        Assert.Contains("--top", Refused(Run("classify", "-m", vit.Directory, "--top", "abc", image)));
        Assert.Contains("'abc'", Refused(Run("classify", "-m", vit.Directory, "--threads", "abc", image)));
        Assert.Contains("--limit", Refused(Run("eval", "-m", vit.Directory, "-d", data, "--limit", "x")));
        Assert.Contains("--calibration", Refused(Run("eval", "-m", vit.Directory, "-d", data, "--calibration", "x")));
        Assert.Contains("--runs", Refused(Run("bench", "-m", vit.Directory, "--runs", "x")));
        Assert.Contains("--warmup", Refused(Run("bench", "-m", vit.Directory, "--warmup", "x")));
        Assert.Contains("--epochs", Refused(Run("fit-guidance", "-m", vit.Directory, "--method", "crossget", "-d", data, "--out", guide, "--epochs", "x")));
        // An absurd batch is refused with its bound, before anything is allocated.
        Assert.Contains("at most 512", Refused(Run("bench", "-m", vit.Directory, "--batch", "100000")));
        Assert.Contains("--lr must be a number in (0, 1]", Refused(Run("fit-guidance", "-m", vit.Directory, "--method", "crossget", "-d", data, "--out", guide, "--lr", "1e308")));
        Assert.False(File.Exists(guide));
    }

    [Fact]
    public void AnOutputThatNamesAnInputIsRefusedAndTheInputKept()
    {
        using var vit = TinyModels.Vit(202, DType.F32);
        using var clip = TinyModels.Clip(203, DType.F32);
        TinyClipVocab.WriteTo(clip.Directory);
        string image = WriteImage("keep.png", 202), texts = Path.Combine(_temp.Path, "t.json"), data = WriteDataset();
        File.WriteAllText(texts, "a cat\n");
        string weights = Path.Combine(vit.Directory, "model.safetensors"), config = Path.Combine(vit.Directory, "config.json");
        string link = Path.Combine(_temp.Path, "link.png");
        File.CreateSymbolicLink(link, image);
        string linkedModel = Path.Combine(_temp.Path, "linked-model");
        Directory.CreateSymbolicLink(linkedModel, vit.Directory);
        var inputs = new[] { image, texts, weights, config }.ToDictionary(f => f, Hash);

        Assert.Contains("is inside", Refused(Run("export-onnx", "-m", vit.Directory, "--out", weights)));
        Assert.Contains("is inside", Refused(Run("export-onnx", "-m", vit.Directory, "--out", Path.Combine(linkedModel, "config.json"))));
        Assert.Contains("is inside", Refused(Run("embed", "-m", vit.Directory, "--images", image, "--out", Path.Combine(vit.Directory, "model.json"))));
        Assert.Contains("is the input", Refused(Run("embed", "-m", clip.Directory, "--texts", texts, "--out", texts)));
        Assert.Contains("is the input", Refused(Run("visualize", "-m", vit.Directory, "-r", "tome:r=2", image, "--out", link)));
        Assert.Contains("is inside", Refused(Run("fit-guidance", "-m", vit.Directory, "--method", "crossget", "-d", data, "--out", weights)));
        Assert.Contains("is inside", Refused(Run("sweep", "-m", vit.Directory, "-d", data, "--out", vit.Directory)));
        foreach (var (file, hash) in inputs) Assert.Equal(hash, Hash(file));
    }

    [Fact]
    public void UsageErrorsAreOneLineOnStderrWithExit2AndHelpStaysOnStdout()
    {
        string image = WriteImage("u.png", 204);
        string line = Refused(Run("classify", "--modle", "x", image));
        Assert.Contains("unknown option '--modle'", line);
        Assert.Contains("did you mean --model?", line);
        Assert.Contains("'--bogus'", Refused(Run("classify", "--model", "x", image, "--bogus")));
        Assert.Contains("--model", Refused(Run("classify", image)));
        Assert.Contains("did you mean classify?", Refused(Run("clasify")));

        var help = Run("classify", "--help");
        Assert.Equal(0, help.Code);
        Assert.Equal("", help.Stderr);
        Assert.Contains("sieve classify <images>... [options]", help.Stdout); // the program is sieve, not Sieve.Cli
    }

    [Fact]
    public void MessagesNameTheUsersInputNotInternals()
    {
        using var vit = TinyModels.Vit(205, DType.F32);
        string image = WriteImage("m.png", 205);
        string line = Refused(Run("pull", "not-an-id"));
        Assert.DoesNotContain("(Parameter", line);
        Assert.Contains("'not-an-id'", line);

        string huge = "tome:" + new string('x', 100_000);
        line = Refused(Run("classify", "-m", vit.Directory, "-r", huge, image));
        Assert.InRange(line.Length, 1, 400);
        Assert.Contains("100,", line); // the length of what was cut

        // A path-like model argument is never sent to the Hub: it is a missing folder.
        line = Refused(Run("classify", "-m", Path.Combine(_temp.Path, "models", "clip-smal"), image));
        Assert.Contains("does not exist", line);
        Assert.DoesNotContain("Hub repository id:", line);
        Assert.True(CliOptions.LooksLocal("./x"));
        Assert.True(CliOptions.LooksLocal("a/b/c"));
        Assert.True(CliOptions.LooksLocal(Path.Combine(_temp.Path, "x")));
    }

    [Fact]
    public void SilentlyAcceptedInputIsRefused()
    {
        using var vit = TinyModels.Vit(206, DType.F32);
        using var clip = TinyModels.Clip(207, DType.F32);
        TinyClipVocab.WriteTo(clip.Directory);
        string image = WriteImage("s.png", 206, 48);
        Assert.Contains("no text tower", Refused(Run("classify", "-m", vit.Directory, "-r", "text=tome:r=6", image)));
        Assert.Contains("names no reducer", Refused(Run("classify", "-m", vit.Directory, "-r", ";", image)));
        int patches = (TinyModels.VitImage / TinyModels.VitPatch) * (TinyModels.VitImage / TinyModels.VitPatch);
        Assert.Contains($"r is at most {patches / 2}", Refused(Run("classify", "-m", vit.Directory, "-r", "tome:r=1000", image)));
        Assert.Contains($"r is at most {patches / 2}", Refused(Run("classify", "-m", vit.Directory, "-r", "crossget:r=1000", image)));
        Assert.Equal(0, Run("classify", "-m", vit.Directory, "-r", $"tome:r={patches / 2}", image).Code); // the maximum itself runs
        Assert.Contains($"r is at most {patches / 2}", Refused(Run("bench", "-m", vit.Directory, "--runs", "1", "--warmup", "0", "-r", "tome:r=1000")));
        Assert.Contains("'cat' 2 times", Refused(Run("zeroshot", "-m", clip.Directory, "--labels", "cat,dog,cat", image)));
    }

    [Fact]
    public void FitGuidanceRefusesMadtpOnAViTBeforeReadingAnyImage()
    {
        using var vit = TinyModels.Vit(208, DType.F32);
        string data = WriteDataset();
        File.WriteAllBytes(Path.Combine(data, "n000_broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2]); // preprocessing would stop here
        string line = Refused(Run("fit-guidance", "-m", vit.Directory, "--method", "madtp", "-d", data, "--out", Path.Combine(_temp.Path, "g.safetensors")));
        Assert.Contains("no text tower", line);
    }

    [Fact]
    public void HoldOutZeroReportsTheTrainingLossNotAHeldOutOne()
    {
        using var vit = TinyModels.Vit(209, DType.F32);
        string guide = Path.Combine(_temp.Path, "h.safetensors");
        var run = Run("fit-guidance", "-m", vit.Directory, "--method", "crossget", "-d", WriteDataset(), "--out", guide, "--hold-out", "0", "--epochs", "1", "-r", "crossget:r=2");
        Assert.True(run.Code == 0, run.Output);
        Assert.DoesNotContain("held-out", run.Output);
        Assert.Contains("training loss (nothing held out)", run.Stdout);
        Assert.Contains("0 held out", run.Stdout);
    }

    /// <summary>A loss that turns NaN after the first step, as an exploding learning rate makes it.</summary>
    sealed class Diverging : IFitObjective
    {
        public string Method => "crossget";
        public int Samples => 4;
        public double[] InitialParameters() => [0.0];
        public double Loss(IReadOnlyList<int> samples, double[] parameters, double[]? gradient)
        {
            if (gradient != null) gradient[0] = 1;
            return parameters[0] == 0 ? 1.0 : double.NaN;
        }
        public IReadOnlyDictionary<string, (int[] Shape, float[] Data)> Guidance(double[] parameters) => new Dictionary<string, (int[], float[])>();
    }

    [Fact]
    public void AFitWhoseLossBecomesNaNFailsInsteadOfReportingSuccess()
    {
        var e = Assert.Throws<ArgumentException>(() => GuidanceTrainer.Fit(new Diverging(), new FitOptions(epochs: 2, batchSize: 2, holdOut: 0)));
        Assert.Contains("diverged", e.Message);
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void ClipTextOverTheContextIsCutWithAWarningOnStderrAndInJson()
    {
        using var clip = TinyModels.Clip(210, DType.F32);
        TinyClipVocab.WriteTo(clip.Directory);
        string image = WriteImage("w.png", 210, 48), label = "abcdefghijklmnopqrst";
        // "a {}": a</w>, then 19 single letters and t</w> (no merges apply), between start and end of text.
        int tokens = 2 + 1 + label.Length, dropped = tokens - TinyModels.ClipPositions;
        string expected = $"the text has {tokens} tokens, more than the model's {TinyModels.ClipPositions}; its last {dropped} were dropped";

        var tokenized = ClipModel.Load(clip.Directory).Tokenizer.Tokenize($"a {label}");
        Assert.Equal(dropped, tokenized.DroppedTokens);
        Assert.Equal(TinyModels.ClipPositions, tokenized.Ids.Length);

        var run = Run("zeroshot", "-m", clip.Directory, "--labels", $"cat,{label}", "--template", "a {}", image);
        Assert.True(run.Code == 0, run.Output);
        Assert.Contains($"warning: prompt 'a {label}': {expected}", run.Stderr);
        Assert.DoesNotContain("warning", run.Stdout);

        run = Run("zeroshot", "-m", clip.Directory, "--labels", $"cat,{label}", "--template", "a {}", "--json", image);
        var warnings = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToArray();
        Assert.Equal([$"prompt 'a {label}': {expected}"], warnings);
    }

    [Fact]
    public void ClassifyWritesOneJsonLinePerImageAndNothingElseToStdout()
    {
        using var vit = TinyModels.Vit(211, DType.F32);
        string[] images = [WriteImage("j1.png", 211), WriteImage("j2.png", 212)];
        var run = Run(["classify", "-m", vit.Directory, "--top", "2", "--json", .. images]);
        Assert.True(run.Code == 0, run.Output);
        Assert.Equal("", run.Stderr);
        var lines = run.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        var model = VitModel.Load(vit.Directory);
        for (int i = 0; i < 2; i++)
        {
            var row = JsonDocument.Parse(lines[i]).RootElement;
            Assert.Equal(images[i], row.GetProperty("image").GetString());
            var want = model.Classify(ImageDecoder.Decode(images[i]), 2);
            var got = row.GetProperty("predictions").EnumerateArray().ToArray();
            Assert.Equal(want.Select(p => p.Index), got.Select(p => p.GetProperty("index").GetInt32()));
            Assert.Equal(want.Select(p => p.Probability), got.Select(p => p.GetProperty("probability").GetSingle()));
        }
    }

    [Fact]
    public void ManyImagesGiveOneUnwrappedLineEachWithTheWholePath()
    {
        using var vit = TinyModels.Vit(212, DType.F32);
        string deep = Path.Combine(_temp.Path, new string('d', 150), new string('e', 150));
        Directory.CreateDirectory(deep);
        string[] images = [.. new[] { "a.png", "b.png", "c.png" }.Select((n, i) => { string p = Path.Combine(deep, n); File.Move(WriteImage(n, 220 + i), p); return p; })];
        var run = Run(["classify", "-m", vit.Directory, "--top", "3", .. images]);
        Assert.True(run.Code == 0, run.Output);
        var lines = run.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        var model = VitModel.Load(vit.Directory);
        for (int i = 0; i < 3; i++)
        {
            var top = model.Classify(ImageDecoder.Decode(images[i]), 3);
            Assert.Equal(string.Join('\t', top.Select(p => $"{p.Label} ({p.Index}) {p.Probability:P2}").Prepend(images[i])), lines[i]);
        }
    }

    [Fact]
    public void TablesTakeColumnsOrTheTerminalAndAreUnboundedInAPipe()
    {
        Assert.Equal(100, CliConsole.Width("100", 80));
        Assert.Equal(80, CliConsole.Width(null, 80));
        Assert.Equal(80, CliConsole.Width("wide", 80));
        Assert.Equal(CliConsole.Unbounded, CliConsole.Width(null, null));
    }
}
