using System.CommandLine;
using System.Text.Json;
using Sieve.Models;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve match --model DIR --image IMG… --text "…" | --texts FILE</c>: how well each text describes each image, by
/// ViLT's matching score or by BLIP's matching probability and contrastive score.
/// </summary>
internal static class MatchCommand
{
    public static Command Create()
    {
        var options = new ViltPairs.Options("text", "texts", "text");
        var command = new Command("match", "Score how well texts describe images: ViLT retrieval (rank_output logit) or BLIP retrieval (ITM probability, ITC score)");
        options.AddTo(command);
        command.SetAction(async (r, cancellationToken) =>
        {
            bool json = r.GetValue(options.Json);
            string dir = await CliOptions.ResolveModelAsync(r.GetValue(options.Model)!, json, cancellationToken);
            if (ModelFolder.Detect(dir) == ModelFamily.Blip) return Blip(BlipMatches.Run(r, options, dir), json);
            var pairs = await ViltPairs.LoadAsync(r, options, vqa: false, cancellationToken, dir);
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

    /// <summary>BLIP's rows: the matching probability and the contrastive score of each pair.</summary>
    static int Blip(IReadOnlyList<BlipMatches.Row> rows, bool json)
    {
        if (json)
        {
            CliConsole.WriteRaw(JsonSerializer.Serialize(rows.Select(row => new
            {
                image = row.Image, text = row.Text, probability = row.Scores.MatchProbability, contrastive = row.Scores.ContrastiveScore,
            }), EvalOptions.JsonOptions));
            return 0;
        }
        var table = new Table().AddColumn(new TableColumn("image").NoWrap()).AddColumn("text")
            .AddColumn(new TableColumn("p(match)").RightAligned().NoWrap()).AddColumn(new TableColumn("contrastive").RightAligned().NoWrap());
        foreach (var row in rows)
            table.AddRow(Markup.Escape(row.Image), Markup.Escape(row.Text), $"{row.Scores.MatchProbability:P2}", $"{row.Scores.ContrastiveScore:F4}");
        CliConsole.Out.Write(table);
        CliConsole.Out.MarkupLine("p(match) = softmax of BLIP's itm_head (class 1); contrastive = cosine of the projected image and text embeddings.");
        return 0;
    }

    static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));
}
