using Sieve.Cli.Commands;
using Sieve.Hub;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Cli;

/// <summary>Regression tests for what a review of the hardening found.</summary>
public sealed partial class CliTests
{
    [Fact]
    public void AllowTruncatedImagesReachesEveryThreadOfAParallelDecode()
    {
        using var vit = TinyModels.Vit(221, DType.F32);
        string data = WriteDataset(), guide = Path.Combine(_temp.Path, "g.safetensors");
        foreach (string file in Directory.GetFiles(data, "*.png"))
        {
            byte[] png = File.ReadAllBytes(file);
            png[8 + 4 + 4 + 13] ^= 1; // IHDR's CRC (after signature, length, type, 13 data bytes): damaged, every pixel there
            File.WriteAllBytes(file, png);
        }
        string[] fit = ["fit-guidance", "-m", vit.Directory, "--method", "crossget", "-r", "crossget:r=2", "-d", data, "--epochs", "1", "--threads", "2", "--out", guide];
        var refused = Run(fit); // after the "preprocessing" progress line, so not Refused's single line
        Assert.Equal(2, refused.Code);
        Assert.Contains("error: " + Path.Combine(data, "n000_0.png") + ": the PNG is corrupt", refused.Stderr);
        var run = Run([.. fit, "--allow-truncated-images"]); // six images over two threads: some decode on a worker thread
        Assert.True(run.Code == 0, run.Output);
        Assert.True(File.Exists(guide));
        Assert.False(File.Exists(guide + ".partial")); // the working file became --out
    }

    [Fact]
    public void ALocalModelFolderNeedsNoHubSettings()
    {
        using var vit = TinyModels.Vit(222, DType.F32);
        string image = WriteImage("local.png", 222);
        var saved = CliOptions.Hub;
        CliOptions.Hub = () => throw new HubException("HF_HUB_DOWNLOAD_TIMEOUT is 'soon'; expected a positive number of seconds");
        try
        {
            var run = Run("classify", "-m", vit.Directory, image);
            Assert.True(run.Code == 0, run.Output);
            Assert.Contains("HF_HUB_DOWNLOAD_TIMEOUT", Refused(Run("classify", "-m", "tiny-org/not-here", image)));
        }
        finally { CliOptions.Hub = saved; }
    }

    [Fact]
    public void SweepRefusesAMergeScheduleTheTowerCannotGive()
    {
        using var vit = TinyModels.Vit(223, DType.F32);
        string data = WriteDataset();
        int patches = (TinyModels.VitImage / TinyModels.VitPatch) * (TinyModels.VitImage / TinyModels.VitPatch);
        Assert.Contains($"r is at most {patches / 2}",
            Refused(Run("sweep", "-m", vit.Directory, "-d", data, "--methods", "tome", "--r", "1000", "--out", Path.Combine(_temp.Path, "sweep"))));
    }

    [Fact]
    public void ChoicesAreNamedNotTheTypesBehindThem()
    {
        string line = Refused(Run("create-random", "--family", "vit", "--size", "huge", "--out", Path.Combine(_temp.Path, "r")));
        Assert.Equal("error: Argument 'huge' not recognized. Must be one of: 'tiny'; 'base' (`sieve create-random`; see `sieve create-random --help`)", line);
        Assert.Contains("Must be one of: 'vit'; 'clip'; 'vilt'", Refused(Run("create-random", "--family", "dog", "--out", Path.Combine(_temp.Path, "r"))));
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "r")));
    }
}
