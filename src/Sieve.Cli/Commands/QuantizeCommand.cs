using System.CommandLine;
using Sieve.Models;
using Sieve.Weights;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve quantize --model M --out DIR</c>: the model with the weights that <c>--precision int8</c> quantizes saved
/// quantized (<see cref="Int8Checkpoint"/>), beside copies of its config and tokenizer files; loading the folder with
/// the usual <c>--model</c> runs them in int8 without quantizing again, with outputs identical to quantize-at-load.
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var output = new Option<string>("--out", "-o") { Description = "New (or empty) folder to write the quantized model into", Required = true };
        var command = new Command("quantize", "Save a model with its transformer blocks' weights quantized to int8 (per output channel), so loads skip quantizing")
            { model, output };
        command.SetAction(async (r, cancellationToken) =>
        {
            string path = r.GetValue(output)!, dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, cancellationToken: cancellationToken);
            OutputGuard.Check("--out", path, [], [dir]);
            var result = Int8Checkpoint.Save(dir, path);
            CliConsole.Error.Profile.Out.Writer.WriteLine(
                $"quantized {result.Quantized} weights to int8 and kept {result.Kept} tensors into {Path.Combine(path, CheckpointFiles.SingleFile)} " +
                $"({result.Bytes / 1048576.0:F1} MiB); copied {(result.Files.Count == 0 ? "no other files" : string.Join(", ", result.Files))}");
            // The folder alone on standard output, as `convert` prints it: MODEL=$(sieve quantize …).
            CliConsole.WriteRaw(Path.GetFullPath(path));
            return 0;
        });
        return command;
    }
}
