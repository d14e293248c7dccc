using System.CommandLine;
using Sieve.Models;
using Sieve.Weights;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve convert --model M --out DIR</c>: the model's checkpoint (PyTorch <c>.bin</c>/<c>.pth</c>, shards, or
/// safetensors) rewritten as one <c>model.safetensors</c>, bit for bit, beside copies of its config and tokenizer
/// files, so the next load is a memory map and no pickle is read again.
/// </summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var output = new Option<string>("--out", "-o") { Description = "New (or empty) folder to write the converted model into", Required = true };
        var command = new Command("convert", "Rewrite a model folder's weights (pytorch_model.bin, .pth, shards) as model.safetensors, with its config and tokenizer files")
            { model, output };
        command.SetAction(async (r, cancellationToken) =>
        {
            string path = r.GetValue(output)!, dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, cancellationToken: cancellationToken);
            OutputGuard.Check("--out", path, [], [dir]);
            ModelFolder.Detect(dir); // a folder Sieve can load, before anything is written
            var converted = CheckpointConversion.ToSafetensors(dir, path);
            CliConsole.Error.Profile.Out.Writer.WriteLine(
                $"converted {converted.Tensors} tensors from {converted.Source} into {Path.Combine(path, CheckpointFiles.SingleFile)} " +
                $"({converted.Bytes / 1048576.0:F1} MiB); copied {(converted.Files.Count == 0 ? "no other files" : string.Join(", ", converted.Files))}");
            // The folder alone on standard output, as `create-random` and `pull` print it: MODEL=$(sieve convert …).
            CliConsole.WriteRaw(Path.GetFullPath(path));
            return 0;
        });
        return command;
    }
}
