using System.Runtime.InteropServices;
using Sieve.Data;
using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Models;

/// <summary>
/// Inputs that are not regular files — a pipe, a folder, a symbolic link loop — in place of a model file, config
/// or image give one clear error naming the path (issue 12, defect 7: a pipe hung, a loop ended in an unhandled
/// IOException, a folder was reported as a missing checkpoint).
/// </summary>
public sealed class SpecialFileTests : IDisposable
{
    readonly TinyCheckpoint _model = TinyModels.Vit(81, DType.F32);
    readonly TempFolder _temp = new("sieve-special-");

    public void Dispose()
    {
        _model.Dispose();
        _temp.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    static extern int mkfifo(string path, uint mode);

    /// <summary>Replaces <paramref name="path"/> with a named pipe that nobody writes to.</summary>
    static void MakePipe(string path)
    {
        File.Delete(path);
        Assert.True(mkfifo(path, 0b110_100_100) == 0, $"mkfifo failed with errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Replaces <paramref name="path"/> with a link to a link back to it.</summary>
    static void MakeLoop(string path)
    {
        File.Delete(path);
        string other = path + ".other";
        File.CreateSymbolicLink(path, Path.GetFileName(other));
        File.CreateSymbolicLink(other, Path.GetFileName(path));
    }

    /// <summary>The error <paramref name="load"/> gives, failing the test rather than hanging when it blocks.</summary>
    static SieveFormatException Refusal(Action load)
    {
        var attempt = Task.Run(() => Assert.Throws<SieveFormatException>(load));
        Assert.True(attempt.Wait(TimeSpan.FromSeconds(30)), "still waiting after 30 s: the file was opened");
        return attempt.Result;
    }

    string Weights => Path.Combine(_model.Directory, "model.safetensors");

    [Fact]
    public void A_pipe_named_model_safetensors_is_refused_without_opening_it()
    {
        if (OperatingSystem.IsWindows()) return; // no named pipes in the file system
        MakePipe(Weights);

        var e = Refusal(() => VitModel.Load(_model.Directory));

        Assert.Contains(Weights, e.Message);
        Assert.Contains("pipe or device", e.Message);
    }

    [Fact]
    public void A_pipe_named_config_json_is_refused_without_opening_it()
    {
        if (OperatingSystem.IsWindows()) return;
        string config = Path.Combine(_model.Directory, "config.json");
        MakePipe(config);

        var e = Refusal(() => VitModel.Load(_model.Directory));

        Assert.Contains(config, e.Message);
        Assert.Contains("pipe or device", e.Message);
    }

    [Fact]
    public void A_folder_named_model_safetensors_is_called_a_folder()
    {
        File.Delete(Weights);
        Directory.CreateDirectory(Weights);

        var e = Refusal(() => VitModel.Load(_model.Directory));

        Assert.Equal($"{Weights}: a folder, expected a file", e.Message);
    }

    [Fact]
    public void A_symbolic_link_loop_as_model_file_is_named()
    {
        MakeLoop(Weights);

        var e = Refusal(() => VitModel.Load(_model.Directory));

        Assert.StartsWith($"{Weights}: a symbolic link loop", e.Message);
    }

    [Fact]
    public void A_symbolic_link_loop_as_image_is_named()
    {
        string image = Path.Combine(_temp.Path, "a.png");
        MakeLoop(image);

        var e = Refusal(() => ImageDecoder.Decode(image));

        Assert.StartsWith($"{image}: a symbolic link loop", e.Message);
    }

    [Fact]
    public void A_pipe_as_image_is_refused_without_opening_it()
    {
        if (OperatingSystem.IsWindows()) return;
        string image = Path.Combine(_temp.Path, "a.png");
        MakePipe(image);

        var e = Refusal(() => ImageDecoder.Decode(image));

        Assert.Contains(image, e.Message);
        Assert.Contains("pipe or device", e.Message);
    }

    [Fact]
    public void A_link_to_a_real_file_still_loads()
    {
        string moved = Path.Combine(_temp.Path, "weights.safetensors");
        File.Move(Weights, moved);
        File.CreateSymbolicLink(Weights, moved);

        Assert.Equal(TinyModels.VitClasses, VitModel.Load(_model.Directory).Config.NumClasses);
    }
}
