using Sieve.Models;

namespace Sieve.Cli.Serve;

/// <summary>One task the server answers: <c>POST Path</c> with a JSON body, handled into a JSON response.</summary>
/// <param name="Path">The route, e.g. <c>/v1/classify</c>.</param>
/// <param name="Task">The task's name in metrics labels, <c>/healthz</c>'s task list and the web UI.</param>
/// <param name="Serves">Whether the task runs on the served (dense) model; the others answer 400.</param>
/// <param name="Handle">Reads the request, runs its inputs in the shared batches, and returns the response object.</param>
internal sealed record ServeEndpoint(string Path, string Task, Func<IModel, bool> Serves, Func<ServeRequest, Task<object>> Handle);
