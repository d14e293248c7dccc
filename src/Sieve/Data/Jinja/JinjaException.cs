namespace Sieve.Data.Jinja;

/// <summary>A template Sieve cannot parse or render (the construct named); <see cref="JinjaTemplate"/> adds the file.</summary>
internal sealed class JinjaException(string message) : Exception(message);
