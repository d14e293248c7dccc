using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary><c>sieve match --model DIR --image IMG… --text "…" | --texts FILE</c>: ViLT's image–text matching score of each pair.</summary>
internal static class MatchCommand
{
    public static Command Create()
    {
        var options = new ViltPairs.Options("text", "texts", "text");
        var command = new Command("match", "Score how well texts describe images with a ViLT retrieval model (rank_output logit)");
        options.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            var pairs = await ViltPairs.LoadAsync(r, options, vqa: false, cancellationToken);
            bool json = r.GetValue(options.Json);
            var rows = pairs.Run("scoring", json, input => pairs.Model.MatchScore(input));
            if (json)
            {
                CliConsole.WriteRaw(JsonSerializer.Serialize(rows.Select(row => new
                {
                    image = row.Image, text = row.Text, warning = row.Warning, score = row.Result, probability = Sigmoid(row.Result),
                }), EvalOptions.JsonOptions));
                return 0;
            }
            ViltPairs.PrintWarnings(rows);
            var table = new Table().AddColumn(new TableColumn("image").NoWrap()).AddColumn("text")
                .AddColumn(new TableColumn("score").RightAligned().NoWrap()).AddColumn(new TableColumn("p(match)").RightAligned().NoWrap());
            foreach (var row in rows)
                table.AddRow(Markup.Escape(row.Image), Markup.Escape(row.Text), $"{row.Result:F4}", $"{Sigmoid(row.Result):P2}");
            CliConsole.Out.Write(table);
            CliConsole.Out.MarkupLine("score = the rank_output logit (higher: better match); p(match) = sigmoid(score).");
            return 0;
        });
        return command;
    }

    static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));
}
