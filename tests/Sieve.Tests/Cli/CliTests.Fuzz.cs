using System.CommandLine;
using System.Security.Cryptography;
using Sieve.Cli;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>
/// A generated, bounded fuzz of the command line (issue 12): every command × every numeric option × a non-numeric,
/// zero, negative and huge value, and reducer specs from a small grammar, each run in-process. The property: exit
/// code 0 or 2; for 2, exactly one <c>error: …</c> line on stderr and nothing on stdout; no exception out of
/// <see cref="SieveCli.Run"/>; no input file changed.
/// </summary>
public sealed partial class CliTests
{
    [Fact]
    public Task FuzzedOptionsAndSpecsExitWith0Or2AndLeaveTheInputsAlone() => WithHub(async (_, _, _) =>
    {
        using var vit = TinyModels.Vit(301, DType.F32);
        using var clip = TinyModels.Clip(302, DType.F32);
        TinyClipVocab.WriteTo(clip.Directory);
        using var vilt = TinyVilt.Write(303);
        using var blip = TinyBlip.Write(304, architecture: Sieve.Models.BlipArchitecture.ConditionalGeneration, editConfig: c => StateMaxLength(c, 8));
        using var llava = TinyLlava.Write(304);
        string image = WriteImage("fuzz.png", 301, 48), data = WriteDataset(), texts = Path.Combine(_temp.Path, "texts.txt");
        File.WriteAllLines(texts, ["a cat", "a dog"]);
        string outputs = Path.Combine(_temp.Path, "out");
        Directory.CreateDirectory(outputs);
        string Out(string name) => Path.Combine(outputs, name);
        await using var server = await Serve.ServeHarness.StartAsync(vit.Directory); // what loadtest's line loads

        // One working command line per command, each on the tiny models (fast); the fuzzed option is set or replaced.
        var bases = new Dictionary<string, string[]>
        {
            ["classify"] = ["classify", "-m", vit.Directory, image],
            ["zeroshot"] = ["zeroshot", "-m", clip.Directory, "--labels", "cat,dog", "--template", "a {}", image],
            ["embed"] = ["embed", "-m", clip.Directory, "--texts", texts, "--out", Out("e.json")],
            ["vqa"] = ["vqa", "-m", vilt.Directory, "--image", image, "--question", "what is it?"],
            ["match"] = ["match", "-m", vilt.Directory, "--image", image, "--text", "a cat"],
            ["caption"] = ["caption", "-m", blip.Directory, image],
            ["chat"] = ["chat", "-m", llava.Directory, "--image", image, "cat?", "--max-new-tokens", "2"],
            ["bench"] = ["bench", "-m", vit.Directory, "--runs", "1", "--warmup", "0", "--batch", "1", "--json", "--profile"],
            ["eval"] = ["eval", "-m", vit.Directory, "-d", data, "--limit", "2", "--json"],
            ["sweep"] = ["sweep", "-m", vit.Directory, "-d", data, "--limit", "2", "--methods", "tome", "--r", "2", "--out", Out("sweep")],
            ["tune"] = ["tune", "-m", vit.Directory, "-d", data, "--limit", "4", "--budget", "agreement>=0.5", "--methods", "tome", "--timing-images", "1", "--rounds", "1", "--json"],
            ["fit-guidance"] = ["fit-guidance", "-m", vit.Directory, "--method", "crossget", "-r", "crossget:r=2", "-d", data, "--limit", "3", "--epochs", "1", "--out", Out("g.safetensors")],
            ["visualize"] = ["visualize", "-m", vit.Directory, "-r", "tome:r=2", image, "--out", Out("v.png")],
            ["export-onnx"] = ["export-onnx", "-m", vit.Directory, "--out", Out("m.onnx"), "--precision", "int8"],
            ["pull"] = ["pull", "tiny-org/vit-tiny"], // the fake Hub's
            ["convert"] = ["convert", "-m", vit.Directory, "--out", Out("converted")],
            ["quantize"] = ["quantize", "-m", vit.Directory, "--out", Out("quantized")], // later runs find it full: exit 2
            ["create-random"] = ["create-random", "--family", "clip", "--size", "tiny", "--out", Out("random")], // later runs find it full: exit 2
            ["loadtest"] = ["loadtest", "--url", server.Client.BaseAddress!.ToString(), "--requests", "2", "--task", "classify", "--library", vit.Directory],
            // serve runs until a signal, so its line asks for help: the fuzz checks its options' parsing; Serve/ tests the server.
            ["serve"] = ["serve", "-m", vit.Directory, "--help"],
        };
        var root = SieveCli.Root();
        Assert.Equal(root.Subcommands.Select(c => c.Name).Order(), bases.Keys.Order()); // a new command needs a base line here

        foreach (var (name, args) in bases)
        {
            var run = await CliRun.OfAsync(args); // the base lines work, so a refusal below is the fuzzed value's
            Assert.True(run.Code == 0, $"{name}: {run.Output}");
        }
        // Every command that runs a model takes --precision (and export-onnx, which writes the int8 graph), and its base
        // line runs in int8 as well.
        string[] noPrecision = ["convert", "create-random", "loadtest", "pull", "quantize"];
        Assert.Equal(root.Subcommands.Select(c => c.Name).Except(noPrecision).Order(),
            root.Subcommands.Where(c => c.Options.Any(o => o.Name == "--precision")).Select(c => c.Name).Order());
        foreach (var command in root.Subcommands.Where(c => !noPrecision.Contains(c.Name)))
        {
            var run = await CliRun.OfAsync(With(bases[command.Name], "--precision", "int8"));
            Assert.True(run.Code == 0, $"{command.Name} --precision int8: {run.Output}");
        }

        var cases = new List<string[]>();
        foreach (var command in root.Subcommands)
            foreach (var option in command.Options.Where(o => Numeric.Contains(o.ValueType)))
                foreach (string value in new[] { "abc", "0", "-1", option.ValueType == typeof(double) ? "1e308" : "2147483647" })
                    cases.Add(With(bases[command.Name], option.Name, value));
        Assert.True(cases.Count >= 4 * 20, $"only {cases.Count} numeric cases: the option walk found too few options");
        // eval's sharded run and its merge: a base line for the option set, fuzzed like the rest, then --shard values and merges of what is not a whole job.
        string[] evalShard = [.. bases["eval"], "--shard", "1/2", "--out", Out("part.safetensors")];
        var shardRun = await CliRun.OfAsync(evalShard);
        Assert.True(shardRun.Code == 0, shardRun.Output);
        foreach (var option in root.Subcommands.Single(c => c.Name == "eval").Options.Where(o => Numeric.Contains(o.ValueType)))
            foreach (string value in new[] { "abc", "0", "-1", "2147483647" })
                cases.Add(With(evalShard, option.Name, value));
        foreach (string shard in new[] { "abc", "0", "1", "-1/2", "2/2", "0/0", "0/100001", "1/2147483648", "0/3", "1/2/3", "" })
            cases.Add(With(evalShard, "--shard", shard));
        foreach (string[] parts in new string[][] { [Out("part.safetensors")], [Out("part.safetensors"), Out("part.safetensors")], [image], [texts], [data], [Out("missing.safetensors")] })
            cases.Add(["eval", "--merge", .. parts, "--json"]);
        foreach (string spec in Specs(new Random(12), 48))
            cases.Add(With(bases["classify"], "--reducer", spec));
        foreach (string spec in Specs(new Random(13), 12))
            cases.Add(With(bases["zeroshot"], "--reducer", spec));
        // LLaVA's specs join a tower reducer, VisionZip and FastV with '+'.
        foreach (string spec in (string[])["tome:r=2+visionzip:dominant=4,contextual=2", "visionzip+crossget:r=1", "crossget:r=1+fastv:layer=0,keep=3", "tome:r=1+tome:r=1",
                     "visionzip+visionzip", "+", "tome:r=99+visionzip", "visionzip:dominant=0,contextual=0+tome:r=1", "fastv:layer=9+visionzip", "madtp:r=1+visionzip"])
            cases.Add(With(bases["chat"], "--reducer", spec));

        string[] inputs = [.. new[] { vit.Directory, clip.Directory, vilt.Directory, data }.SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories)), image, texts];
        var hashes = inputs.ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
        var failures = new List<string>();
        int accepted = 0;
        foreach (var args in cases)
        {
            string line = string.Join(' ', args.Select(a => a.Length > 60 ? a[..60] + "…" : a));
            CliRun run;
            try { run = await CliRun.OfAsync(args); }
            catch (Exception e)
            {
                failures.Add($"{line}: {e.GetType().Name}: {e.Message}");
                continue;
            }
            string[] errors = run.Stderr.TrimEnd('\n').Split('\n');
            if (run.Code == 0) accepted++;
            if (run.Code is not (0 or SieveCli.InputError)) failures.Add($"{line}: exit {run.Code}: {run.Output}");
            else if (run.Code == SieveCli.InputError && (errors.Length != 1 || !errors[0].StartsWith("error: ") || run.Stdout != ""))
                failures.Add($"{line}: exit 2 without exactly one error line: stdout [{run.Stdout}] stderr [{run.Stderr}]");
            foreach (var (file, hash) in hashes)
                if (Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))) != hash) failures.Add($"{line}: changed {file}");
        }
        Assert.InRange(accepted, 10, cases.Count - 40); // both outcomes occur: values in range run, the rest are refused
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} runs broke the property:\n{string.Join('\n', failures)}");
    });

    static readonly Type[] Numeric = [typeof(int), typeof(int?), typeof(double)];

    /// <summary><paramref name="args"/> with <paramref name="option"/> set to <paramref name="value"/> (replaced when present).</summary>
    static string[] With(string[] args, string option, string value)
    {
        int at = Array.FindIndex(args, a => a == option || (option == "--reducer" && a == "-r"));
        if (at < 0) return [.. args, option, value];
        var copy = (string[])args.Clone();
        copy[at + 1] = value;
        return copy;
    }

    /// <summary>Reducer specs from a small grammar: methods, key=value lists, tower prefixes, separators, and a few monsters.</summary>
    static IEnumerable<string> Specs(Random rng, int count)
    {
        string[] methods = ["none", "tome", "crossget", "madtp", "pumer", "ToMe", "x", ""];
        string[] keys = ["r", "ratio", "t", "target", "m", "seed", "prop", "layers", "p", "mi", "mt", "q", ""];
        string[] values = ["0", "1", "2", "13", "-1", "1000", "2147483648", "0.5", "1.5", "nan", "1..3", "3..1", "1/2", "2/2", "on", "off", "", "abc", "1e308"];
        string Pick(string[] from) => from[rng.Next(from.Length)];
        string One()
        {
            string method = Pick(methods);
            int n = rng.Next(4);
            if (n == 0) return method;
            return $"{method}:{string.Join(',', Enumerable.Range(0, n).Select(_ => rng.Next(8) == 0 ? Pick(keys) : $"{Pick(keys)}={Pick(values)}"))}";
        }
        for (int i = 0; i < count; i++)
            yield return rng.Next(8) switch
            {
                0 => $"vision={One()};text={One()}",
                1 => $"text={One()}",
                2 => string.Join(';', Enumerable.Range(0, rng.Next(4)).Select(_ => One())),
                3 => One() + new string(rng.Next(2) == 0 ? ';' : ',', rng.Next(1, 3)),
                4 => "tome:r=" + new string('9', 5000),
                _ => One(),
            };
    }
}
