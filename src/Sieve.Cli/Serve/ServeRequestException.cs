namespace Sieve.Cli.Serve;

/// <summary>A request the server refuses: its HTTP status and the one-line reason sent back as a JSON error.</summary>
internal sealed class ServeRequestException(int status, string message, string? param = null) : Exception(message)
{
    /// <summary>The HTTP status code (400 for bad input, 429 for a full queue, …).</summary>
    public int Status { get; } = status;

    /// <summary>The request field at fault, when there is one (OpenAI's <c>error.param</c>).</summary>
    public string? Param { get; } = param;

    /// <summary>A 400 naming the problem with the request.</summary>
    public static ServeRequestException Bad(string message, string? param = null) => new(400, message, param);

    /// <summary>
    /// <paramref name="value"/>'s result, or a 400 naming <paramref name="param"/> when it refuses the request's value
    /// (<paramref name="label"/>, e.g. <c>text[2]</c>, heads the message when the field is one of several).
    /// </summary>
    public static T For<T>(string param, Func<T> value, string? label = null)
    {
        try { return value(); }
        catch (Exception e) when (e is ArgumentException or SieveFormatException) { throw Bad($"{label ?? param}: {UsageError.Message(e)}", param); }
    }
}
