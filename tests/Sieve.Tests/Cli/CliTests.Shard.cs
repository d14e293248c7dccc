using Sieve.Cli.Commands;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve embed --shard I/N</c> and <c>--merge</c>: the parts of a job spread over machines make the unsharded output.</summary>
public sealed partial class CliTests
{
    [Fact]
    public void ShardsCoverEveryInputOnceInOrder()
    {
        foreach (int inputs in new[] { 1, 7, 10, 159 })
            for (int count = 1; count <= Math.Min(inputs, 12); count++)
            {
                var taken = Enumerable.Range(0, count).SelectMany(i =>
                {
                    var (start, end) = new Shard(i, count).Range(inputs);
                    Assert.True(end - start >= inputs / count && end - start <= inputs / count + 1, $"shard {i}/{count} of {inputs}: {end - start}");
                    return Enumerable.Range(start, end - start);
                });
                Assert.Equal(Enumerable.Range(0, inputs), taken);
            }
        Assert.Equal(new Shard(3, 4), Shard.Parse("3/4"));
    }

    [Theory]
    [InlineData("--images")]
    [InlineData("--texts")]
    public void MergedShardsAreTheUnshardedOutputByteForByte(string kind)
    {
        using var ck = TinyModels.Clip(57, DType.F32);
        TinyClipVocab.WriteTo(ck.Directory);
        string input;
        if (kind == "--images")
        {
            input = Path.Combine(_temp.Path, "shard-images");
            Directory.CreateDirectory(input);
            for (int i = 0; i < 7; i++) File.Move(WriteImage($"s{i}.png", 30 + i, 48), Path.Combine(input, $"{i}.png"));
        }
        else
        {
            input = Path.Combine(_temp.Path, "shard-texts.txt");
            File.WriteAllLines(input, ["a cat", "the dog", "a cat on a mat", "dogs", "", "the cat", "a dog and a cat", "cats"]);
        }
        string whole = Path.Combine(_temp.Path, $"whole{kind}.safetensors");
        var (code, output) = Run("embed", "--model", ck.Directory, kind, input, "--out", whole, "--normalize", "--reducer", "vision=tome:r=2");
        Assert.True(code == 0, output);

        foreach (string format in new[] { ".safetensors", ".json" })
        {
            string[] shards = [.. Enumerable.Range(0, 3).Select(i => Path.Combine(_temp.Path, $"part{kind}-{i}.safetensors"))];
            for (int i = 0; i < 3; i++)
            {
                (code, output) = Run("embed", "--model", ck.Directory, kind, input, "--out", shards[i], "--normalize", "--reducer", "vision=tome:r=2", "--shard", $"{i}/3");
                Assert.True(code == 0, output);
            }
            string merged = Path.Combine(_temp.Path, $"merged{kind}{format}"), reference = whole;
            if (format == ".json")
            {
                reference = Path.Combine(_temp.Path, $"whole{kind}.json");
                Assert.Equal(0, Run("embed", "--model", ck.Directory, kind, input, "--out", reference, "--normalize", "--reducer", "vision=tome:r=2").Code);
            }
            (code, output) = Run("embed", "--merge", shards[2], shards[0], shards[1], "--out", merged); // any order
            Assert.True(code == 0, output);
            Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(merged));
        }
    }

    [Fact]
    public void ShardAndMergeMistakesAreRefusedInOneLine()
    {
        using var ck = TinyModels.Vit(58, DType.F32);
        string folder = Path.Combine(_temp.Path, "shard-refused");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < 3; i++) File.Move(WriteImage($"r{i}.png", 40 + i), Path.Combine(folder, $"{i}.png"));
        string Part(int i, int n)
        {
            string path = Path.Combine(_temp.Path, $"r{i}of{n}.safetensors");
            Assert.Equal(0, Run("embed", "--model", ck.Directory, "--images", folder, "--out", path, "--shard", $"{i}/{n}").Code);
            return path;
        }
        string out_ = Path.Combine(_temp.Path, "never.safetensors");

        Assert.Contains("--shard '3/3': expected I/N with 0 ≤ I < N", Refused(Run("embed", "--model", ck.Directory, "--images", folder, "--out", out_, "--shard", "3/3")));
        Assert.Contains("--shard 'x': expected I/N", Refused(Run("embed", "--model", ck.Directory, "--images", folder, "--out", out_, "--shard", "x")));
        Assert.Contains("--shard 0/4: 3 inputs cannot make 4 shards", Refused(Run("embed", "--model", ck.Directory, "--images", folder, "--out", out_, "--shard", "0/4")));
        Assert.Contains("with --shard the output must be .safetensors", Refused(Run("embed", "--model", ck.Directory, "--images", folder, "--out", "x.json", "--shard", "0/2")));
        Assert.Contains("Option '--model' is required", Refused(Run("embed", "--images", folder, "--out", out_)));

        string a = Part(0, 2), b = Part(1, 2), c = Part(0, 3);
        Assert.Contains("shard 1/2 is missing (1 of 2 given)", Refused(Run("embed", "--merge", a, "--out", out_)));
        Assert.Contains("shard 0/2 is given more than once", Refused(Run("embed", "--merge", a, a, b, "--out", out_)));
        Assert.Contains("not parts of one job", Refused(Run("embed", "--merge", a, b, c, "--out", out_)));
        Assert.Contains("it takes only --out, not --model", Refused(Run("embed", "--merge", a, b, "--model", ck.Directory, "--out", out_)));
        string unsharded = Path.Combine(_temp.Path, "unsharded.safetensors");
        Assert.Equal(0, Run("embed", "--model", ck.Directory, "--images", folder, "--out", unsharded).Code);
        Assert.Contains($"'{unsharded}' is not the output of `sieve embed --shard`", Refused(Run("embed", "--merge", a, unsharded, "--out", out_)));
        Assert.Contains("--out", Refused(Run("embed", "--merge", a, b, "--out", a)));  // never writes over a shard
        Assert.False(File.Exists(out_));
    }
}
