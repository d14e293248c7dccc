using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Tensors;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>--precision</c> reaches the model on every command that has it, and a bad value is one usage error.</summary>
public sealed partial class CliTests
{
    [Fact]
    public void ClassifyAndEmbedWithInt8PrintTheInt8ModelsResults()
    {
        using var ck = TinyModels.Vit(95, DType.F32);
        string image = WriteImage("p.png", 14);
        var decoded = ImageDecoder.Decode(image);
        var int8 = VitModel.Load(ck.Directory, Precision.Int8);
        var (code, output) = Run("classify", "--model", ck.Directory, "--top", "10", "--precision", "int8", image);
        Assert.True(code == 0, output);
        Assert.Equal(Rows(int8.Classify(decoded, 10), showIndex: true), Rows(output));

        string json = Path.Combine(_temp.Path, "p.json");
        (code, output) = Run("embed", "--model", ck.Directory, "--images", image, "--out", json, "--precision", "int8");
        Assert.True(code == 0, output);
        var saved = JsonDocument.Parse(File.ReadAllText(json)).RootElement[0].GetProperty("embedding");
        var float32 = VitModel.Load(ck.Directory).EncodeImage(decoded);
        var want = int8.EncodeImage(decoded);
        Assert.NotEqual(float32, want);
        Assert.Equal(want, saved.EnumerateArray().Select(v => v.GetSingle()).ToArray());
    }

    [Fact]
    public void EvalWithInt8MeasuresAgreementWithFloat32()
    {
        using var ck = TinyModels.Vit(96, DType.F32);
        string data = WriteDataset();
        var (code, output) = Run("eval", "--model", ck.Directory, "--data", data, "--precision", "int8", "--reducer", "tome:r=3", "--json", "--rounds", "1", "--timing-images", "1");
        Assert.True(code == 0, output);
        var report = JsonDocument.Parse(output).RootElement;
        Assert.Equal("int8", report.GetProperty("precision").GetString());
        var float32 = VitModel.Load(ck.Directory);
        var int8 = VitModel.Load(ck.Directory, Precision.Int8);
        var files = Directory.GetFiles(data, "*.png").Order(StringComparer.Ordinal).Select(f => float32.Preprocess(ImageDecoder.Decode(f))).ToArray();
        double agree = files.Average(p => ArgMax(int8.Logits(p)) == ArgMax(float32.Logits(p)) ? 1.0 : 0.0);
        Assert.Equal(agree, report.GetProperty("results")[0].GetProperty("agreement").GetDouble(), 12);
        Assert.Equal(2, report.GetProperty("results").GetArrayLength());

        static int ArgMax(float[] x) => Array.IndexOf(x, x.Max());
    }

    [Fact]
    public void WithCodegenOffTheCliSaysSoOnceAndPrintsTheSameResults()
    {
        // A real process each, since the kernel is chosen once per process; only an AVX-512 VNNI machine has
        // a generated kernel to turn off.
        if (!Int8Vnni512Kernel.HardwareHasIt || !ExecutableMemory.IsAvailable) return;
        using var ck = TinyModels.Vit(98, DType.F32);
        string image = WriteImage("g.png", 16);
        string[] args = ["classify", "--model", ck.Directory, "--precision", "int8", "--top", "10", image];
        var (generatedCode, generatedOut, generatedErr) = Sieve(null, args);
        var (portableCode, portableOut, portableErr) = Sieve("0", args);
        Assert.True(generatedCode == 0 && portableCode == 0, generatedErr + portableErr);
        Assert.Equal(generatedOut, portableOut);
        Assert.DoesNotContain("note:", generatedErr);
        var notes = portableErr.Split('\n').Where(line => line.Contains("note:")).ToArray();
        var portable = Int8GemmPaths.IsSupported(Int8GemmPath.AvxVnni) ? Int8GemmPath.AvxVnni : Int8GemmPath.Avx2;
        Assert.Equal([$"note: SIEVE_CODEGEN=0: the generated 512-bit VNNI kernel is off; int8 GEMMs use the {portable} kernel instead"], notes);

        static (int, string, string) Sieve(string? codegen, string[] args)
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(typeof(Sieve.Cli.SieveCli).Assembly.Location);
            foreach (string arg in args) start.ArgumentList.Add(arg);
            start.Environment[Int8Vnni512Kernel.SettingName] = codegen;
            using var process = System.Diagnostics.Process.Start(start)!;
            var (stdout, stderr) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            if (!process.WaitForExit(TimeSpan.FromMinutes(2))) // fail, never hang
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"sieve {string.Join(' ', args)} still running after 2 minutes");
            }
            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    [Fact]
    public void APrecisionOtherThanFp32OrInt8IsAUsageError()
    {
        using var ck = TinyModels.Vit(97, DType.F32);
        string image = WriteImage("q.png", 15), data = WriteDataset();
        Assert.Contains("--precision must be fp32 or int8, got 'int4'", Refused(Run("classify", "--model", ck.Directory, "--precision", "int4", image)));
        Assert.Contains("--precision must be fp32 or int8, got 'FP32'", Refused(Run("bench", "--model", ck.Directory, "--precision", "FP32")));
        Assert.Contains("--precision int8 applies to --task classify only, not embedding",
            Refused(Run("eval", "--task", "embedding", "--model", ck.Directory, "--data", data, "--precision", "int8")));
    }
}
