using System.CommandLine;
using Sieve.Hub;

namespace Sieve.Cli.Commands;

/// <summary><c>sieve pull REPO_ID [--revision REV]</c>: fetches a model into the Hugging Face cache and prints its snapshot folder.</summary>
internal static class PullCommand
{
    public static Command Create()
    {
        var repo = new Argument<string>("repo") { Description = "Hub repository id, like openai/clip-vit-base-patch32" };
        var revision = new Option<string>("--revision")
        {
            Description = "Branch, tag or commit hash",
            DefaultValueFactory = _ => "main",
        };
        var command = new Command("pull", "Download a model from the Hugging Face Hub into its cache (HF_HUB_CACHE) and print the folder") { repo, revision };
        command.SetAction(async (r, cancellationToken) =>
        {
            string id = r.GetValue(repo)!;
            string folder = await CliProgress.DownloadAsync(false, progress => HubModel.PullAsync(id, r.GetValue(revision)!, CliOptions.Hub(), progress, cancellationToken));
            // The folder alone on the last line, so scripts can take it: MODEL=$(sieve pull org/name | tail -1).
            CliConsole.WriteRaw(folder);
            return 0;
        });
        return command;
    }
}
