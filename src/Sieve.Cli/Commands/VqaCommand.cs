using System.CommandLine;
using System.Text.Json;
using Sieve.Models;
using Spectre.Console;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve vqa --model DIR --image IMG… --question "…" | --questions FILE</c>: ViLT's top answers to each question about
/// each image, or a BLIP VQA model's generated answer.
/// </summary>
internal static class VqaCommand
{
    public static Command Create()
    {
        var options = new ViltPairs.Options("question", "questions", "question");
        var top = CliOptions.Top();
        top.Description = "How many answers to show per question";
        var command = new Command("vqa", "Answer questions about images with a ViLT VQA model (top-k answers, sigmoid scores) or a BLIP one (BlipForQuestionAnswering: the generated answer)");
        options.AddTo(command);
        command.Add(top);
        command.SetAction(async (r, cancellationToken) =>
        {
            bool json = r.GetValue(options.Json);
            string dir = await CliOptions.ResolveModelAsync(r.GetValue(options.Model)!, json, cancellationToken);
            if (ModelFolder.Detect(dir) == ModelFamily.Blip) return Blip(r, options, dir, json);
            var pairs = await ViltPairs.LoadAsync(r, options, vqa: true, cancellationToken, dir);
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

    /// <summary>
    /// BLIP: each question encoded with each image by the text encoder, the answer decoded as the checkpoint's generation
    /// config says; reducers on the vision tower and the question encoder. Every input is checked before anything runs.
    /// </summary>
    static int Blip(ParseResult r, ViltPairs.Options o, string dir, bool json)
    {
        CliOptions.ApplyThreads(r.GetValue(o.Threads));
        var questions = ViltPairs.Texts(r, o);
        var (spec, guide) = CliOptions.Reduction(r.GetValue(o.Reducer)!, r.GetValue(o.Guidance), dir);
        var loaded = BlipGenerator.Load(dir, r.GetValue(o.Precision));
        if (loaded.QuestionEncoder == null)
            throw new SieveFormatException($"'{dir}' is a BLIP captioning model (BlipForConditionalGeneration, no text encoder): it cannot answer questions; use `sieve caption`, or a BlipForQuestionAnswering checkpoint");
        CliOptions.CheckMerges(spec.For(loaded.Vision.Info), loaded.Vision);
        var ids = questions.Select(loaded.QuestionIds).ToList();
        var images = CliOptions.ExpandImages(r.GetValue(o.Images)!);
        var model = loaded.WithReduction(spec, guide);
        var rows = new List<(string Image, string Question, string Answer)>();
        bool allowDamaged = CliOptions.AllowDamagedImagesInRun; // read on the run's thread
        CliProgress.Run($"answering {images.Count * questions.Count} image–question pairs", images.Count, json || images.Count * questions.Count == 1, done =>
        {
            foreach (string file in images)
            {
                var pixels = Sieve.Data.ImageBatch.Load([file], allowDamaged, model.Preprocessor.Process)[0];
                for (int q = 0; q < questions.Count; q++) rows.Add((file, questions[q], model.Tokenizer.Decode(model.Answer(pixels, ids[q]))));
                done();
            }
        });
        if (json)
        {
            CliConsole.WriteRaw(JsonSerializer.Serialize(rows.Select(row => new { image = row.Image, question = row.Question, answer = row.Answer }), EvalOptions.JsonOptions));
            return 0;
        }
        var table = new Table().AddColumn(new TableColumn("image").NoWrap()).AddColumn("question").AddColumn("answer");
        foreach (var row in rows) table.AddRow(Markup.Escape(row.Image), Markup.Escape(row.Question), Markup.Escape(row.Answer));
        CliConsole.Out.Write(table);
        return 0;
    }
}
