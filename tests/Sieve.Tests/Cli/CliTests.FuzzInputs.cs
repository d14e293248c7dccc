using System.Security.Cryptography;
using Sieve.Cli;
using Sieve.Tests.Data;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>
/// The other half of issue 12's fuzz: mutated model folders and images, each given to <c>sieve classify</c>
/// in-process. Mutations are seeded and bounded: a file cut at a random length, random bytes overwritten (in the
/// safetensors header, where a flip matters most, and anywhere), and config.json with a character dropped or a
/// number replaced. The property is the option fuzz's: exit 0 or 2, for 2 exactly one <c>error: …</c> line on
/// stderr and nothing on stdout, no exception out of <see cref="SieveCli.Run"/>, no file it was given changed.
/// </summary>
public sealed partial class CliTests
{
    [Fact]
    public void FuzzedModelFilesAndImagesExitWith0Or2AndStayUnchanged()
    {
        using var vit = TinyModels.Vit(311, DType.F16);
        string png = WriteImage("fuzz-input.png", 311, 40);
        string jpeg = Path.Combine(_temp.Path, "fuzz-input.jpg");
        File.WriteAllBytes(jpeg, TestJpeg.Encode(5, 5, (x, y) => ((byte)(40 * x), (byte)(100 + 20 * y), (byte)(128 - 10 * x))));
        Assert.Equal(0, Run("classify", "-m", vit.Directory, png).Code); // the unmutated inputs work
        Assert.Equal(0, Run("classify", "-m", vit.Directory, jpeg).Code);

        var rng = new Random(311);
        byte[] weights = File.ReadAllBytes(Path.Combine(vit.Directory, "model.safetensors"));
        string config = File.ReadAllText(Path.Combine(vit.Directory, "config.json"));
        int header = 8 + (int)BitConverter.ToUInt64(weights, 0);
        var failures = new List<string>();
        int refused = 0, runs = 0;

        void Check(string what, string[] args, IEnumerable<string> inputs)
        {
            var hashes = inputs.ToDictionary(f => f, Hash);
            CliRun run;
            runs++;
            try { run = CliRun.Of(args); }
            catch (Exception e)
            {
                failures.Add($"{what}: {e.GetType().Name}: {e.Message}");
                return;
            }
            if (run.Code == SieveCli.InputError) refused++;
            string[] errors = run.Stderr.TrimEnd('\n').Split('\n');
            if (run.Code is not (0 or SieveCli.InputError)) failures.Add($"{what}: exit {run.Code}: {run.Output}");
            else if (run.Code == SieveCli.InputError && (errors.Length != 1 || !errors[0].StartsWith("error: ") || run.Stdout != ""))
                failures.Add($"{what}: exit 2 without exactly one error line: stdout [{run.Stdout}] stderr [{run.Stderr}]");
            foreach (var (file, hash) in hashes)
                if (Hash(file) != hash) failures.Add($"{what}: changed {file}");
        }

        // Model folders: each mutation in a folder of its own, beside an untouched config (or weights).
        for (int i = 0; i < 36; i++)
        {
            string dir = Path.Combine(_temp.Path, $"mutant-{i}");
            Directory.CreateDirectory(dir);
            byte[] bytes = (byte[])weights.Clone();
            string text = config, what;
            switch (i % 4)
            {
                case 0:
                    int cut = rng.Next(bytes.Length);
                    bytes = bytes[..cut];
                    what = $"model.safetensors cut to {cut} bytes";
                    break;
                case 1:
                    int at = rng.Next(header);
                    bytes[at] = (byte)rng.Next(256);
                    what = $"header byte {at} set to {bytes[at]}";
                    break;
                case 2:
                    for (int k = 0; k < 8; k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                    what = "8 random bytes overwritten";
                    break;
                default:
                    int drop = rng.Next(text.Length);
                    text = rng.Next(2) == 0 ? text.Remove(drop, 1)
                        : System.Text.RegularExpressions.Regex.Replace(text, @"\d+", m => rng.Next(3) switch { 0 => "-1", 1 => "99999999", _ => m.Value }, default, TimeSpan.FromSeconds(1));
                    what = "config.json mutated";
                    break;
            }
            File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), bytes);
            File.WriteAllText(Path.Combine(dir, "config.json"), text); // UTF-8 without a byte-order mark, as config.json files are
            Check($"{what} (mutant {i})", ["classify", "-m", dir, png], Directory.GetFiles(dir).Append(png));
        }

        // Images: cut, or bytes overwritten, in PNG and JPEG; given to the unmutated model.
        foreach (string source in new[] { png, jpeg })
        {
            byte[] image = File.ReadAllBytes(source);
            for (int i = 0; i < 16; i++)
            {
                byte[] bytes = (byte[])image.Clone();
                if (i % 2 == 0) bytes = bytes[..rng.Next(bytes.Length)];
                else for (int k = 0; k < 1 + i; k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                string file = Path.Combine(_temp.Path, $"mutant-{i}{Path.GetExtension(source)}");
                File.WriteAllBytes(file, bytes);
                Check($"{Path.GetFileName(file)} from {Path.GetFileName(source)}", ["classify", "-m", vit.Directory, file],
                    Directory.GetFiles(vit.Directory).Append(file));
            }
        }

        Assert.InRange(refused, runs / 4, runs - 1); // mutations are refused often, and not always
        Assert.True(failures.Count == 0, $"{failures.Count} of {runs} runs broke the property:\n{string.Join('\n', failures)}");
    }
}
