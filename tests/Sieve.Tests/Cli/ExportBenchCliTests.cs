using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Sieve.Cli;
using Sieve.Cli.Commands;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Tensors;
using Sieve.Tests.Export;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>
/// <c>sieve export-onnx</c> and <c>sieve bench</c> on generated models. Each run has its own console
/// writers (<see cref="CliRun"/>), so these tests do not race with <see cref="CliTests"/>; they run alone (bench's
/// activation peak is a process-wide counter that a test running beside them would move).
/// </summary>
[Collection(ThreadCountCollection.Name)]
public sealed class ExportBenchCliTests : IDisposable
{
    readonly TempFolder _temp = new("sieve-cli-onnx-");

    public void Dispose() => _temp.Dispose();

    static CliRun Run(params string[] args) => CliRun.Of(args);

    [Fact]
    public void ExportOnnxWritesTheTextTowerThatOnnxRuntimeRuns()
    {
        using var ck = TinyModels.Clip(81, DType.F32);
        string path = _temp.File("text.onnx");
        var (code, output) = Run("export-onnx", "--model", ck.Directory, "--out", path, "--tower", "text");
        Assert.True(code == 0, output);
        Assert.Contains($"wrote {path}", output);
        Assert.Contains("clip_text, opset 17", output);

        int[] ids = [58, 7, 21, 59];
        using var session = new InferenceSession(path);
        var onnx = OnnxExportTests.Run(session, ids.Select(i => (long)i).ToArray(), 1, ids.Length);
        Assert.InRange(OnnxExportTests.RelativeError(onnx, ClipModel.Load(ck.Directory).Text.Encode(ids)), 0, 1e-4);
    }

    [Fact]
    public void ExportOnnxInt8OfAQuantizedFolderRunsInOnnxRuntimeAsSieveInt8()
    {
        using var ck = TinyModels.Clip(88, DType.F32);
        string quantized = Path.Combine(_temp.Path, "int8"), path = _temp.File("text.int8.onnx");
        Assert.Equal(0, Run("quantize", "--model", ck.Directory, "--out", quantized).Code);
        var (code, output) = Run("export-onnx", "--model", quantized, "--out", path, "--tower", "text", "--precision", "int8");
        Assert.True(code == 0, output);
        Assert.Contains("clip_text, opset 17, int8,", output);

        // One token: ONNX Runtime's per-tensor activation quantization is Sieve's per-token one (OnnxInt8ExportTests).
        using var session = new InferenceSession(path);
        var onnx = OnnxExportTests.Run(session, new[] { 21L }, 1, 1);
        Assert.InRange(OnnxExportTests.RelativeError(onnx, ClipModel.Load(quantized).Text.Encode([21])), 0, 1e-5);
    }

    [Fact]
    public void ExportOnnxErrorsNameTheProblemAndExitWith2()
    {
        using var vit = TinyModels.Vit(82, DType.F32);
        var (code, output) = Run("export-onnx", "--model", vit.Directory, "--out", Path.Combine(_temp.Path, "missing", "m.onnx"));
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains($"folder '{Path.Combine(_temp.Path, "missing")}' does not exist", output);

        (code, output) = Run("export-onnx", "--model", vit.Directory, "--out", _temp.File("m.onnx"), "--tower", "text");
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("only an image tower", output);

        string unknown = Path.Combine(_temp.Path, "resnet");
        Directory.CreateDirectory(unknown);
        File.WriteAllText(Path.Combine(unknown, "config.json"), """{"architecture": "resnet50"}""");
        (code, output) = Run("export-onnx", "--model", unknown, "--out", _temp.File("m.onnx"));
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("not a model Sieve knows", output);
        Assert.DoesNotContain("   at ", output);
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void BenchJsonComparesBothEnginesOnImagesAndTexts()
    {
        using var ck = TinyModels.Clip(83, DType.F16);
        var (code, output) = Run("bench", "--model", ck.Directory, "--runs", "1", "--warmup", "0", "--batch", "3", "--json");
        Assert.True(code == 0, output);
        var report = JsonDocument.Parse(output).RootElement;
        Assert.Equal(ck.Directory, report.GetProperty("model").GetString());
        Assert.False(string.IsNullOrEmpty(report.GetProperty("onnxRuntimeVersion").GetString()));

        var results = report.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("workload").GetString()!);
        Assert.Equal(
            ["image, batch 1", "image, batch 3 (throughput)", "image, batch 3, sequential (Sieve latency mode)",
             $"text, {TinyModels.ClipPositions} tokens, batch 1", $"text, batch 3, 5–{TinyModels.ClipPositions} tokens (ORT: padded to {TinyModels.ClipPositions})"],
            results.Keys);
        foreach (var (name, r) in results)
        {
            Assert.True(r.GetProperty("sieve").GetProperty("medianMs").GetDouble() > 0, name);
            var peer = r.GetProperty("onnxRuntime");
            if (name.Contains("sequential"))
            {
                Assert.Equal(JsonValueKind.Null, peer.ValueKind);
                continue;
            }
            Assert.True(peer.GetProperty("medianMs").GetDouble() > 0, name);
            Assert.True(peer.GetProperty("itemsPerSecond").GetDouble() > 0, name);
            Assert.True(r.GetProperty("sieveOverOnnxRuntime").GetDouble() > 0, name);
        }
        // Padding makes ONNX Runtime do more work than Sieve on texts of different lengths.
        var texts = results[$"text, batch 3, 5–{TinyModels.ClipPositions} tokens (ORT: padded to {TinyModels.ClipPositions})"];
        Assert.True(texts.GetProperty("onnxRuntime").GetProperty("gMacs").GetDouble() > texts.GetProperty("sieve").GetProperty("gMacs").GetDouble());

        var memory = report.GetProperty("memory");
        long parameters = ck.Stored.Where(kv => kv.Key != "logit_scale").Sum(kv => (long)kv.Value.Length);
        Assert.Equal(parameters * 4 / 1048576.0, memory.GetProperty("weightsMiB").GetDouble(), 9);
        Assert.True(memory.GetProperty("sievePeakMiB").GetDouble() >= memory.GetProperty("sieveRunningPeakMiB").GetDouble());
        Assert.True(memory.GetProperty("sieveRunningPeakOverWeights").GetDouble() > 0);
        Assert.True(memory.TryGetProperty("onnxRuntimeIncreaseMiB", out _));
    }

    [Fact]
    public void BenchOnAVitTimesImagesOnlyAndPrintsMarkdown()
    {
        using var ck = TinyModels.Vit(84, DType.F32);
        var (code, output) = Run("bench", "--model", ck.Directory, "--runs", "1", "--warmup", "0", "--batch", "2", "--markdown");
        Assert.True(code == 0, output);
        Assert.Contains("| workload | GMACs | Sieve ms | ORT ms | Sieve items/s | ORT items/s | Sieve/ORT | Sieve activations MiB |\n", output.ReplaceLineEndings("\n"));
        Assert.Contains("| image, batch 2 (throughput) |", output);
        Assert.DoesNotContain("text", output);

        (code, output) = Run("bench", "--model", ck.Directory, "--json", "--markdown");
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("at most one of --json and --markdown", output);
    }

    [Fact]
    public void BenchTimesReducersAgainstDenseInTheSameRun()
    {
        using var ck = TinyModels.Vit(85, DType.F32);
        var (code, output) = Run("bench", "--model", ck.Directory, "--runs", "2", "--warmup", "0", "--batch", "2", "--json", "--reducer", "tome:r=3");
        Assert.True(code == 0, output);
        var results = JsonDocument.Parse(output).RootElement.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("workload").GetString()!);
        foreach (string name in new[] { "image, batch 1, tome:r=3", "image, batch 2 (throughput), tome:r=3" })
        {
            var r = results[name];
            Assert.True(r.GetProperty("speedupOverDense").GetDouble() > 0, name);
            Assert.InRange(r.GetProperty("gMacsRatio").GetDouble(), 0.3, 0.95);
        }
        Assert.Equal(JsonValueKind.Null, results["image, batch 1"].GetProperty("speedupOverDense").ValueKind);
        (code, output) = Run("bench", "--model", ck.Directory, "--reducer", "madtp:target=0.5");
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("madtp:t=", output);
    }

    [Fact]
    public void BenchProfileBreaksEveryWorkloadDownByOperation()
    {
        using var ck = TinyModels.Vit(86, DType.F32);
        var (code, output) = Run("bench", "--model", ck.Directory, "--runs", "2", "--warmup", "0", "--batch", "2", "--json", "--reducer", "tome:r=3", "--profile");
        Assert.True(code == 0, output);
        var report = JsonDocument.Parse(output).RootElement;
        var profiles = report.GetProperty("profiles").EnumerateArray().ToDictionary(p => p.GetProperty("workload").GetString()!);
        Assert.Equal(report.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("workload").GetString()!), profiles.Keys);
        foreach (var (name, profile) in profiles)
        {
            var operations = profile.GetProperty("operations").EnumerateArray().ToDictionary(o => o.GetProperty("kind").GetString()!);
            Assert.Equal(Enum.GetNames<Sieve.Tensors.OpKind>(), operations.Keys);
            foreach (string kind in new[] { "PatchEmbedding", "LayerNorm", "QkvProjection", "AttentionScores", "Softmax", "AttentionValues", "Fc1", "Fc2", "Activation" })
                Assert.True(operations[kind].GetProperty("msPerItem").GetDouble() > 0, $"{name}: {kind}");
            Assert.Equal(name.Contains("tome"), operations["Reducer"].GetProperty("msPerItem").GetDouble() > 0);
            Assert.True(operations["Fc1"].GetProperty("gFlops").GetDouble() > 0, name);
            Assert.Equal(JsonValueKind.Null, operations["Softmax"].GetProperty("gFlops").ValueKind);
            double recorded = profile.GetProperty("recordedMsPerItem").GetDouble();
            Assert.Equal(recorded, operations.Values.Sum(o => o.GetProperty("msPerItem").GetDouble()), 6);
            Assert.Equal(1, operations.Values.Sum(o => o.GetProperty("share").GetDouble()), 6);
            if (!name.Contains("throughput")) Assert.InRange(recorded, 0, profile.GetProperty("wallMsPerItem").GetDouble()); // one thread's timeline: within the wall clock
        }

        (code, output) = Run("bench", "--model", ck.Directory, "--runs", "1", "--warmup", "0", "--batch", "1", "--markdown", "--profile");
        Assert.True(code == 0, output);
        Assert.Contains("profile of Sieve, image, batch 1: 1 runs", output);
        Assert.Contains("| operation | ms per item | share | GFLOP/s |", output);
        Assert.Contains("| GEMM MLP fc1 / gate + up |", output);
        (code, output) = Run("bench", "--model", ck.Directory, "--runs", "1", "--warmup", "0", "--batch", "1", "--json");
        Assert.True(code == 0, output);
        Assert.False(JsonDocument.Parse(output).RootElement.TryGetProperty("profiles", out _)); // only when asked
    }

    /// <summary>What <paramref name="bench"/> printed to stdout (given the writer it is to print to), stderr aside; it must exit 0.</summary>
    static string Captured(Func<TextWriter, int> bench)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using (CliConsole.Redirect(output, error))
            Assert.Equal(0, bench(output));
        return output.ToString();
    }

    /// <summary>
    /// The operations by kind of each profile in a benchmark's JSON, checked to be <paramref name="workloads"/> in order, to spend time
    /// on each of <paramref name="kinds"/> and on the reducer exactly where one is named, and to add up to the recorded total.
    /// </summary>
    static List<Dictionary<string, JsonElement>> ProfileOperations(string json, string[] workloads, string[] kinds)
    {
        var profiles = JsonDocument.Parse(json).RootElement.GetProperty("profiles").EnumerateArray().ToList();
        Assert.Equal(workloads, profiles.Select(p => p.GetProperty("workload").GetString()));
        return [.. profiles.Select(profile =>
        {
            var operations = profile.GetProperty("operations").EnumerateArray().ToDictionary(o => o.GetProperty("kind").GetString()!);
            foreach (string kind in kinds) Assert.True(operations[kind].GetProperty("msPerItem").GetDouble() > 0, kind);
            Assert.Equal(profile.GetProperty("workload").GetString()!.Contains("tome"), operations["Reducer"].GetProperty("msPerItem").GetDouble() > 0);
            Assert.Equal(profile.GetProperty("recordedMsPerItem").GetDouble(), operations.Values.Sum(o => o.GetProperty("msPerItem").GetDouble()), 6);
            return operations;
        })];
    }

    /// <summary>
    /// The LLaVA benchmark (<c>--random llava-tiny</c> builds a 0.49 B-parameter model, too big for a test; here a tiny LLaVA) profiles
    /// each variant's whole answer: the vision tower's operations and the Llama decoder's, its LM head once per generated token.
    /// </summary>
    [Fact]
    public void LlavaBenchProfilesTheWholeAnswer()
    {
        var shape = new TinyLlava.Shape();
        using var ck = TinyLlava.Write(89, shape);
        var model = LlavaModel.Load(ck.Directory);
        string Bench(bool json, bool profile) =>
            Captured(output => LlavaBench.Run(() => model, Precision.Float32, ["tome:r=2"], 1, 0, json, markdown: !json, profile, output));
        var profiles = ProfileOperations(Bench(json: true, profile: true), ["answer (33 tokens), none", "answer (33 tokens), tome:r=2"],
            ["PatchEmbedding", "LayerNorm", "QkvProjection", "Rotary", "KeyValueCache", "AttentionScores", "Softmax", "AttentionValues", "OutProjection",
                "Fc1", "Activation", "Fc2", "Residual", "Head"]);
        foreach (var operations in profiles)
        {
            // The LM head ran once per generated token: 33 × width × vocabulary multiply-adds (GFLOP/s × ms of the one run ÷ 2).
            var head = operations["Head"];
            double macs = head.GetProperty("gFlops").GetDouble() * head.GetProperty("msPerItem").GetDouble() * 1e6 / 2;
            Assert.Equal(33.0 * shape.TextWidth * TinyLlava.VocabSize, macs, 6);
        }
        Assert.False(JsonDocument.Parse(Bench(json: true, profile: false)).RootElement.TryGetProperty("profiles", out _)); // only when asked
        string markdown = Bench(json: false, profile: true);
        Assert.Contains("profile of Sieve, answer (33 tokens), tome:r=2: 1 runs", markdown);
        Assert.Contains("| rotary position embedding |", markdown);
        Assert.Contains("| GEMM LM head (logits) |", markdown);
    }

    /// <summary>
    /// The captioning benchmark (<c>--random blip-caption</c> builds BLIP-base, too big for a test; here a tiny captioner) profiles
    /// each case's whole caption: the vision tower's and the decoder's operations, cross-attention's projections among them.
    /// </summary>
    [Fact]
    public void CaptionBenchProfilesTheWholeCaption()
    {
        using var ck = TinyBlip.Write(88, new TinyBlip.Shape(Positions: 32), architecture: BlipArchitecture.ConditionalGeneration); // room for 21 tokens
        var generator = BlipGenerator.Load(ck.Directory);
        string Bench(bool json, bool profile) =>
            Captured(_ => CaptionBenchmark.Run(generator, [ModelReduction.Parse("tome:r=2")], 1, 0, json, markdown: !json, profile));
        var profiles = ProfileOperations(Bench(json: true, profile: true), ["caption, none", "caption, tome:r=2"],
            ["PatchEmbedding", "LayerNorm", "QkvProjection", "OutProjection", "AttentionScores", "Softmax", "Fc1", "Fc2"]);
        // The decoder is in it: fc1's multiply-adds (GFLOP/s × ms of the one run) exceed the vision tower's by at least 20 steps'.
        var shape = new TinyBlip.Shape(Positions: 32);
        var fc1 = profiles[0]["Fc1"];
        double macs = fc1.GetProperty("gFlops").GetDouble() * fc1.GetProperty("msPerItem").GetDouble() * 1e6 / 2;
        long vision = (long)shape.Tokens * shape.VisionWidth * shape.VisionHidden * shape.VisionLayers;
        Assert.InRange(macs, vision + 20.0 * shape.TextWidth * shape.TextHidden * shape.TextLayers - 1, double.MaxValue);
        Assert.False(JsonDocument.Parse(Bench(json: true, profile: false)).RootElement.TryGetProperty("profiles", out _)); // only when asked
        string markdown = Bench(json: false, profile: true);
        Assert.Contains("profile of Sieve, caption, tome:r=2: 1 runs", markdown);
        Assert.Contains("| GEMM MLP fc1 / gate + up |", markdown);
    }

    [Fact]
    public void BenchWithInt8TimesTheInt8ModelAgainstFloat32Dense()
    {
        using var ck = TinyModels.Clip(87, DType.F32);
        var (code, output) = Run("bench", "--model", ck.Directory, "--runs", "2", "--warmup", "0", "--batch", "2", "--json", "--precision", "int8", "--reducer", "tome:r=3");
        Assert.True(code == 0, output);
        var results = JsonDocument.Parse(output).RootElement.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("workload").GetString()!);
        string[] int8 = ["image, batch 1, int8", "image, batch 2 (throughput), int8", "image, batch 1, int8, tome:r=3", "image, batch 2 (throughput), int8, tome:r=3",
            $"text, {TinyModels.ClipPositions} tokens, batch 1, int8", $"text, {TinyModels.ClipPositions} tokens, batch 1, int8, tome:r=3"];
        // Each int8 row again against ONNX Runtime: dense against its int8 graph, reduced against its float32 dense one.
        string[] againstOrt = [.. int8.Select(name => name + (name.Contains("tome") ? " vs ORT fp32 dense" : " vs ORT int8"))];
        Assert.Equal(int8.Zip(againstOrt).SelectMany(pair => new[] { pair.First, pair.Second }), results.Keys.Where(k => k.Contains("int8")));
        foreach (string name in againstOrt)
        {
            var r = results[name];
            Assert.True(r.GetProperty("onnxRuntime").GetProperty("medianMs").GetDouble() > 0, name);
            Assert.True(r.GetProperty("sieveOverOnnxRuntime").GetDouble() > 0, name);
            Assert.Equal(JsonValueKind.Null, r.GetProperty("speedupOverDense").ValueKind);
            Assert.Equal(results[name[..name.IndexOf(" vs ORT", StringComparison.Ordinal)]].GetProperty("sieve").GetProperty("gMacs").GetDouble(),
                r.GetProperty("sieve").GetProperty("gMacs").GetDouble()); // the same Sieve run as its twin
        }
        foreach (string name in int8)
        {
            var r = results[name];
            Assert.True(r.GetProperty("speedupOverDense").GetDouble() > 0, name);
            Assert.Equal(JsonValueKind.Null, r.GetProperty("onnxRuntime").ValueKind);
            Assert.Equal(name.Contains("tome") ? r.GetProperty("gMacsRatio").GetDouble() : 1.0, r.GetProperty("gMacsRatio").GetDouble());
        }
        Assert.InRange(results["image, batch 1, int8, tome:r=3"].GetProperty("gMacsRatio").GetDouble(), 0.3, 0.95);
        Assert.True(results["image, batch 1"].GetProperty("onnxRuntime").GetProperty("medianMs").GetDouble() > 0); // the float32 rows are still there
    }

    [Fact]
    public void BenchWithInt8OnABlipTimesInt8MatchingAgainstFloat32DenseAndOnnxRuntime()
    {
        using var ck = TinyBlip.Write(88);
        var (code, output) = Run("bench", "--model", ck.Directory, "--runs", "2", "--warmup", "0", "--batch", "2", "--json", "--precision", "int8", "--reducer", "tome:r=2");
        Assert.True(code == 0, output);
        var results = JsonDocument.Parse(output).RootElement.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("workload").GetString()!);
        string[] int8 = ["match, batch 1, int8", "match, batch 2 (throughput), int8", "match, batch 1, int8, tome:r=2", "match, batch 2 (throughput), int8, tome:r=2"];
        string[] againstOrt = [.. int8.Select(name => name + (name.Contains("tome") ? " vs ORT fp32 dense" : " vs ORT int8"))];
        Assert.Equal(int8.Zip(againstOrt).SelectMany(pair => new[] { pair.First, pair.Second }), results.Keys.Where(k => k.Contains("int8")));
        foreach (string name in int8)
        {
            Assert.True(results[name].GetProperty("speedupOverDense").GetDouble() > 0, name);
            Assert.Equal(JsonValueKind.Null, results[name].GetProperty("onnxRuntime").ValueKind);
        }
        foreach (string name in againstOrt)
        {
            Assert.True(results[name].GetProperty("onnxRuntime").GetProperty("medianMs").GetDouble() > 0, name);
            Assert.Equal(results[name[..name.IndexOf(" vs ORT", StringComparison.Ordinal)]].GetProperty("sieve").GetProperty("gMacs").GetDouble(),
                results[name].GetProperty("sieve").GetProperty("gMacs").GetDouble());
        }
        Assert.Equal(1.0, results["match, batch 1, int8"].GetProperty("gMacsRatio").GetDouble());
        Assert.InRange(results["match, batch 1, int8, tome:r=2"].GetProperty("gMacsRatio").GetDouble(), 0.3, 0.99);
    }

    [Fact]
    public void BenchOnAViltTimesQuestionsAgainstOnnxRuntimeAndPumerAgainstDense()
    {
        using var ck = TinyVilt.Write(86);
        var (code, output) = Run("bench", "--model", ck.Directory, "--runs", "2", "--warmup", "0", "--batch", "2", "--json", "--reducer", "pumer:layers=0/1");
        Assert.True(code == 0, output);
        var results = JsonDocument.Parse(output).RootElement.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("workload").GetString()!);
        Assert.Equal(
            ["VQA, 12 tokens + 32×32 image, batch 1", "VQA, batch 2 (throughput)", "VQA, batch 1, pumer:layers=0/1,p=0.1,mi=0.3,mt=0.2",
             "VQA, batch 2 (throughput), pumer:layers=0/1,p=0.1,mi=0.3,mt=0.2"],
            results.Keys);
        foreach (var (name, r) in results)
        {
            Assert.True(r.GetProperty("sieveActivationMiB").GetDouble() > 0, name);
            if (name.Contains("pumer")) Assert.InRange(r.GetProperty("gMacsRatio").GetDouble(), 0.2, 0.95);
            else Assert.True(r.GetProperty("sieveOverOnnxRuntime").GetDouble() > 0, name);
        }
    }

    [Fact]
    public void BenchOnABlipTimesMatchingAgainstOnnxRuntimeAndReducersAgainstDense()
    {
        using var ck = TinyBlip.Write(88);
        var (code, output) = Run("bench", "--model", ck.Directory, "--runs", "2", "--warmup", "0", "--batch", "2", "--json", "--reducer", "vision=tome:r=2");
        Assert.True(code == 0, output);
        var report = JsonDocument.Parse(output).RootElement;
        var results = report.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("workload").GetString()!);
        // The tiny BLIP has 16 text positions, so the 35-token text is cut to 16.
        Assert.Equal(
            ["match (vision + ITM + ITC), 16 tokens + 32×32 image, batch 1", "match, batch 2 (throughput)",
             "match, batch 1, vision=tome:r=2", "match, batch 2 (throughput), vision=tome:r=2"],
            results.Keys);
        // Both towers' three passes are counted: the dense row is BlipModel.MatchMacs, for Sieve and for ONNX Runtime.
        double dense = BlipModel.Load(ck.Directory).MatchMacs(16) / 1e9;
        var single = results["match (vision + ITM + ITC), 16 tokens + 32×32 image, batch 1"];
        Assert.Equal(dense, single.GetProperty("sieve").GetProperty("gMacs").GetDouble(), 1e-9);
        Assert.Equal(dense, single.GetProperty("onnxRuntime").GetProperty("gMacs").GetDouble(), 1e-9);
        foreach (var (name, r) in results)
        {
            if (name.Contains("tome")) Assert.InRange(r.GetProperty("gMacsRatio").GetDouble(), 0.5, 0.99);
            else Assert.True(r.GetProperty("sieveOverOnnxRuntime").GetDouble() > 0, name);
        }
        // The text encoder's weights are exported once though the graph runs it twice.
        long parameters = ck.Stored.Sum(kv => (long)kv.Value.Length);
        Assert.Equal(parameters * 4 / 1048576.0, report.GetProperty("memory").GetProperty("weightsMiB").GetDouble(), 9);
    }
}
