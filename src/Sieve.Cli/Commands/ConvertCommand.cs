using System.CommandLine;
using Sieve.Models;
using Sieve.Weights;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve convert --model M --out DIR</c>: the model's checkpoint (PyTorch <c>.bin</c>/<c>.pth</c>, shards, or
/// safetensors) rewritten as one <c>model.safetensors</c>, bit for bit, beside copies of its config and tokenizer
/// files, so the next load is a memory map and no pickle is read again. A folder with only an original Salesforce BLIP /
/// LAVIS checkpoint (no config.json) is mapped onto the Hugging Face layout (<see cref="ModelConversion"/>).
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
            var result = ModelConversion.Convert(dir, path);
            var converted = result.Checkpoint;
            var err = CliConsole.Error.Profile.Out.Writer;
            err.WriteLine(
                $"converted {converted.Tensors} tensors from {converted.Source}{(converted.Mapping is { } m ? $" ({m.Layout}, renamed to Hugging Face's)" : "")} " +
                $"into {Path.Combine(path, CheckpointFiles.SingleFile)} ({converted.Bytes / 1048576.0:F1} MiB); " +
                $"{(converted.Mapping == null ? "copied" : "copied or wrote")} {(converted.Files.Count == 0 ? "no other files" : string.Join(", ", converted.Files))}");
            if (result.Guidance.Count > 0)
                err.WriteLine($"wrote {string.Join(", ", result.Guidance)} into {Path.Combine(path, ModelConversion.GuidanceFile)} (use it with --guidance)");
            // Every tensor left out, grouped by why: by name, or by module where a whole module (a momentum encoder) goes.
            foreach (var group in result.LeftOut.GroupBy(p => p.Value, p => p.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var names = group.Order(StringComparer.Ordinal).ToList();
                var shown = names.Count <= 8 ? names
                    : names.GroupBy(n => n.Split('.')[0]).Select(m => m.Count() == 1 ? m.Key : $"{m.Key}.* ({m.Count()})").ToList();
                err.WriteLine($"left out {names.Count} tensor(s), {group.Key}: {string.Join(", ", shown)}");
            }
            if (converted.Mapping != null && !File.Exists(Path.Combine(path, "vocab.txt")))
                err.WriteLine("note: the checkpoint carries no vocabulary; copy bert-base-uncased's vocab.txt into the folder before encoding text");
            // The folder alone on standard output, as `create-random` and `pull` print it: MODEL=$(sieve convert …).
            CliConsole.WriteRaw(Path.GetFullPath(path));
            return 0;
        });
        return command;
    }
}
