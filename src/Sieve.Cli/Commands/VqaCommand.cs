using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary><c>sieve vqa --model DIR --image IMG… --question "…" | --questions FILE</c>: ViLT's top answers to each question about each image.</summary>
internal static class VqaCommand
{
    public static Command Create()
    {
        var options = new ViltPairs.Options("question", "questions", "question");
        var top = CliOptions.Top();
        top.Description = "How many answers to show per question";
        var command = new Command("vqa", "Answer questions about images with a ViLT VQA model (top-k answers, sigmoid scores)");
        options.AddTo(command);
        command.Add(top);
        command.SetAction(async (r, cancellationToken) =>
        {
            var pairs = await ViltPairs.LoadAsync(r, options, vqa: true, cancellationToken);
            bool json = r.GetValue(options.Json);
            int k = r.GetValue(top);
            var rows = pairs.Run("answering", json, input => pairs.Model.Answer(input, k));
            if (json)
            {
                CliConsole.WriteRaw(JsonSerializer.Serialize(rows.Select(row => new
                {
                    image = row.Image, question = row.Text, warning = row.Warning,
                    answers = row.Result.Select(p => new { answer = p.Label, index = p.Index, score = p.Probability }),
                }), EvalOptions.JsonOptions));
                return 0;
            }
            ViltPairs.PrintWarnings(rows);
            foreach (var row in rows)
                PredictionTable.Write($"{row.Image}: {row.Text}", row.Result, false, "answer", "score");
            CliConsole.Out.MarkupLine("score = sigmoid(logit): ViLT's VQA head is trained with binary cross-entropy, so scores need not sum to 1.");
            return 0;
        });
        return command;
    }
}
