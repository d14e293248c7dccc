using System.CommandLine;
using Sieve.Models;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve create-random --family clip|vilt|blip|vit|llava [--size tiny|base] [--task retrieval|caption|vqa] --out DIR [--seed N]</c>: a model folder with random
/// weights in the Hub's layout, for trying every command without downloading one.
/// </summary>
internal static class CreateRandomCommand
{
    public static Command Create()
    {
        // Plain strings from a fixed list: the parser then names the choices, not the enum types behind them.
        var family = new Option<string>("--family") { Description = "vit (timm classifier), clip, vilt (VQA and matching heads), blip (retrieval: ITM and contrastive heads) or llava (chat)", Required = true };
        family.AcceptOnlyFromAmong("vit", "clip", "vilt", "blip", "llava");
        var size = new Option<string>("--size") { Description = "tiny (a few narrow layers; ViT: ViT-Ti/16) or base (ViT-B/16, CLIP ViT-B/16, ViLT-B/32, BLIP-base, LLaVA: the llava-tiny bench shape)", DefaultValueFactory = _ => "tiny" };
        size.AcceptOnlyFromAmong("tiny", "base");
        var task = new Option<string>("--task") { Description = "For --family blip: retrieval (BlipForImageTextRetrieval), caption (BlipForConditionalGeneration) or vqa (BlipForQuestionAnswering)", DefaultValueFactory = _ => "retrieval" };
        task.AcceptOnlyFromAmong("retrieval", "caption", "vqa");
        var output = new Option<string>("--out", "-o") { Description = "New (or empty) folder to write the model into", Required = true };
        var seed = NumberOptions.Integer("--seed", "Seed of the random weights", 0, int.MinValue, int.MaxValue);
        var command = new Command("create-random", "Write a model folder with random weights (config, safetensors, vocabulary) to try every command offline")
            { family, size, task, output, seed };
        command.SetAction(r =>
        {
            string dir = r.GetValue(output)!;
            var sized = Enum.Parse<RandomModelSize>(r.GetValue(size)!, ignoreCase: true);
            if (r.GetValue(family) == "llava")
            {
                if (r.GetValue(task) != "retrieval") throw new SieveFormatException($"--task {r.GetValue(task)} applies to --family blip only");
                RandomModelFolder.WriteLlava(sized, dir, r.GetValue(seed));
                CliConsole.WriteRaw(Path.GetFullPath(dir));
                return 0;
            }
            var chosen = Enum.Parse<ModelFamily>(r.GetValue(family)!, ignoreCase: true);
            var blip = r.GetValue(task) switch
            {
                "caption" => BlipArchitecture.ConditionalGeneration,
                "vqa" => BlipArchitecture.QuestionAnswering,
                _ => BlipArchitecture.ImageTextRetrieval,
            };
            if (chosen != ModelFamily.Blip && blip != BlipArchitecture.ImageTextRetrieval)
                throw new SieveFormatException($"--task {r.GetValue(task)} applies to --family blip only");
            RandomModelFolder.Write(chosen, sized, dir, r.GetValue(seed), blip);
            // The folder alone, as `sieve pull` prints it: MODEL=$(sieve create-random --family clip --out m).
            CliConsole.WriteRaw(Path.GetFullPath(dir));
            return 0;
        });
        return command;
    }
}
